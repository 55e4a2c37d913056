# The fake MicroPython board in tests/support runs on a thread behind a
# pseudo-terminal: the support library needs pthreads and openpty (-lutil).
if(NOT WIN32)
  target_link_libraries(mpflash_test_support PUBLIC Threads::Threads util)
endif()
