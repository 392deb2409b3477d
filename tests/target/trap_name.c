/*
 * An ecall from this M-mode firmware: the RISC-V boards' fault report must
 * name it by its mcause code (11), which the report once called a plain
 * "trap" (its table of names stopped at code 8).
 */
int main(void)
{
    __asm__ volatile("ecall");
    return 0;
}
