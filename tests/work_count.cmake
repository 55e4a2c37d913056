# Test programs whose checks count the library's memory work instead of
# timing it (tests/support/work_count.h): their calls to the allocation and
# copy functions, and the static library's, go through counting wrappers.
# Needs a GNU-style linker (ld.bfd, gold, lld); elsewhere the checks skip.
set(MPFLASH_WORK_COUNTED_TESTS test_hostile_files)
if(NOT APPLE AND NOT MSVC)
  target_compile_definitions(mpflash_test_support PRIVATE MPF_TEST_WRAP_LINK=1)
  foreach(t ${MPFLASH_WORK_COUNTED_TESTS})
    target_link_options(${t} PRIVATE
      "LINKER:--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=memcpy,--wrap=memmove")
  endforeach()
endif()
