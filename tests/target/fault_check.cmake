# Runs a firmware that faults on purpose (tests/target/fault_pc.c) and checks
# its report: QEMU exits with the fault status 3, and the FAULT line names the
# pc the firmware announced before it faulted. With -DANY_PC=ON (a fault
# whose instruction is not known in advance, tests/target/stack_overflow.c)
# the status and the FAULT line are checked, not the pc.
#   cmake -DEMULATOR=<qemu command, words joined by |> -DFIRMWARE=<elf> [-DANY_PC=ON] -P fault_check.cmake
string(REPLACE "|" ";" _emulator "${EMULATOR}")
execute_process(COMMAND ${_emulator} "${FIRMWARE}"
  OUTPUT_VARIABLE _out ERROR_VARIABLE _err RESULT_VARIABLE _rc TIMEOUT 60)
# The boards write their console to either stream.
set(_out "${_out}${_err}")
message("${_out}")
if(NOT _rc STREQUAL "3")
  message(FATAL_ERROR "fault_check: exit status ${_rc}, expected 3 (a reported fault)")
endif()
if(ANY_PC)
  if(NOT _out MATCHES "FAULT: [^\n]* pc=0x[0-9a-f]+")
    message(FATAL_ERROR "fault_check: no FAULT line")
  endif()
  message("fault_check: ok")
  return()
endif()
if(NOT _out MATCHES "fault_pc: expect pc=(0x[0-9a-f]+)")
  message(FATAL_ERROR "fault_check: the firmware did not announce its pc")
endif()
set(_expect "${CMAKE_MATCH_1}")
if(NOT _out MATCHES "FAULT: [^\n]* pc=(0x[0-9a-f]+)")
  message(FATAL_ERROR "fault_check: no FAULT line")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL _expect)
  message(FATAL_ERROR "fault_check: reported pc=${CMAKE_MATCH_1}, the fault was at ${_expect}")
endif()
message("fault_check: ok, pc=${_expect}")
