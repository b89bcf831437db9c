# ctest: cuda_device_outputs on two devices, then --compare (cmake -P; variables PROGRAM, WORK,
# REFERENCE_DEVICE, DEVICE). The device plugin comes from the test's environment.
file(MAKE_DIRECTORY ${WORK})
foreach(_run REFERENCE_DEVICE DEVICE)
  execute_process(COMMAND ${PROGRAM} --device ${${_run}} --out ${WORK}/${${_run}}.safetensors RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "cuda_device_outputs --device ${${_run}} failed (${_rc})")
  endif()
endforeach()
execute_process(COMMAND ${PROGRAM} --compare ${WORK}/${REFERENCE_DEVICE}.safetensors ${WORK}/${DEVICE}.safetensors
                RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "the outputs of ${DEVICE} differ from ${REFERENCE_DEVICE}'s beyond their tolerances")
endif()
