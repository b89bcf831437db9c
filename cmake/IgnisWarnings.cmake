# Warnings and sanitizers for every ignis target: call ignis_target_defaults(<target>).
function(ignis_target_defaults target)
  target_compile_options(${target} PRIVATE
    # ignis's API uses designated initializers that leave fields at their defaults
    # ({.device = d}); GCC < 14 reports each omitted field under -Wextra.
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-missing-field-initializers>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${IGNIS_WERROR}>>:-Werror>)
  # Programs load the CUDA plugin at run time, so building one builds the plugin too.
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "EXECUTABLE" AND TARGET ignis_cuda)
    add_dependencies(${target} ignis_cuda)
  endif()
endfunction()

if(IGNIS_SANITIZE)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=undefined>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>)
  add_link_options(-fsanitize=address,undefined)
endif()
