# The ABI check: src/libmpflash.symbols (the committed list, from which the
# export map is made), the functions the installed headers declare and the
# symbols the built libmpflash.so exports must be the same set, and every
# name starts with mpf_. Run as
#   cmake -DLIB=libmpflash.so -DLIST=src/libmpflash.symbols -DCC=cc -DNM=nm
#         -DHEADER_DIR=include/mpflash -DGENERATED_INCLUDE=build/include
#         -P check_symbols.cmake
function(fail what)
  message(FATAL_ERROR "ABI check: ${what}\n"
    "A change to the exported functions is a decision: edit src/libmpflash.symbols "
    "(sorted, one name a line), say it in NEWS.md, and bump the version if a name went away.")
endfunction()

# 1. The committed list: sorted, unique, mpf_ only.
file(STRINGS ${LIST} listed REGEX "^[^#]")
set(sorted ${listed})
list(SORT sorted)
list(REMOVE_DUPLICATES sorted)
if(NOT sorted STREQUAL listed)
  fail("${LIST} is not sorted with each name once")
endif()
foreach(s ${listed})
  if(NOT s MATCHES "^mpf_[a-z0-9_]+$")
    fail("${LIST} lists '${s}': only mpf_ names may leave the library")
  endif()
endforeach()

# 2. What the library exports (defined dynamic symbols).
execute_process(COMMAND ${NM} -D --defined-only ${LIB} OUTPUT_VARIABLE nm_out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  fail("${NM} failed on ${LIB}")
endif()
string(REGEX MATCHALL "[^\n]+" nm_lines "${nm_out}")
set(exported)
foreach(line ${nm_lines})
  if(line MATCHES " [A-Za-z] ([^ ]+)$")
    list(APPEND exported ${CMAKE_MATCH_1})
  endif()
endforeach()
list(SORT exported)

# 3. What the public headers declare: every header is reached from the
# umbrella header, and the preprocessed text (comments gone) names each
# function as "mpf_name(".
file(GLOB headers RELATIVE ${HEADER_DIR} ${HEADER_DIR}/*.h ${HEADER_DIR}/*.h.in)
file(READ ${HEADER_DIR}/mpflash.h umbrella)
foreach(h ${headers})
  string(REGEX REPLACE "\\.in$" "" h ${h})
  if(NOT h STREQUAL "mpflash.h" AND NOT umbrella MATCHES "#include \"mpflash/${h}\"")
    fail("mpflash/mpflash.h does not include mpflash/${h}")
  endif()
endforeach()
get_filename_component(include_dir ${HEADER_DIR} DIRECTORY)
execute_process(COMMAND ${CC} -E -P -I${include_dir} -I${GENERATED_INCLUDE} ${HEADER_DIR}/mpflash.h
                OUTPUT_VARIABLE pp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  fail("preprocessing mpflash/mpflash.h failed")
endif()
string(REGEX MATCHALL "mpf_[a-z0-9_]+\\(" calls "${pp}")
set(declared)
foreach(c ${calls})
  string(REPLACE "(" "" c ${c})
  list(APPEND declared ${c})
endforeach()
list(SORT declared)
list(REMOVE_DUPLICATES declared)

foreach(pair "exported;the library exports" "declared;the headers declare")
  list(GET pair 0 var)
  list(GET pair 1 what)
  set(extra ${${var}})
  list(REMOVE_ITEM extra ${listed})
  set(missing ${listed})
  list(REMOVE_ITEM missing ${${var}})
  if(extra OR missing)
    fail("${what} [${extra}] not in ${LIST}, and not [${missing}] that it lists")
  endif()
endforeach()
list(LENGTH listed n)
message(STATUS "ABI check: ${n} exported symbols, as listed")
