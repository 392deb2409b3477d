/* A loop with two entries (irreducible): .Lhead from the fall-through of
 * the second beqz, .Ltest from the j after the first. With a0 = 0, a1 = 1,
 * a2 = 4 the call executes 15 instructions (beqz, beqz, j, addi, bnez, three
 * turns of j, addi, bnez, ret) and takes the backward bnez 3 times, so
 * --loop _start=3 must bound it at 15 or more. The bound tool once counted
 * the edges its depth-first search found closing a cycle instead, the first
 * of them the forward fall-through into .Ltest, taken on the way in from
 * .Lhead too, and printed 14. */
    .text
    .global _start
    .type _start, @function
_start:
    beqz a0, .Lother
    j .Ltest
.Lother:
    beqz a1, .Lout
.Lhead:
    j .Lbody
.Lbody:
    addi a2, a2, -1
.Ltest:
    bnez a2, .Lhead
.Lout:
    ret
