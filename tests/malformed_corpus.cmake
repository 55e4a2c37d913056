# The committed corpus of malformed firmware files (tests/corpus/malformed/)
# and the program that made it. The files are committed so they can be read
# and replayed; this test proves they are still exactly what the generator
# makes (run `make_malformed tests/corpus/malformed` after changing it).
# Its DfuSe files come from the tests' builder, which is free of cmocka and
# of the library's code.
add_executable(make_malformed ${CMAKE_CURRENT_LIST_DIR}/corpus/make_malformed.c
  ${CMAKE_CURRENT_LIST_DIR}/support/dfuse_builder.c)
target_include_directories(make_malformed PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/support ${PROJECT_SOURCE_DIR}/include)
add_test(NAME malformed_corpus_up_to_date
         COMMAND make_malformed --check ${CMAKE_CURRENT_LIST_DIR}/corpus/malformed)
