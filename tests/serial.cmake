# The fake MicroPython board in tests/support runs on a thread behind a
# pseudo-terminal: the support library needs pthreads and openpty (-lutil).
target_link_libraries(mpflash_test_support PUBLIC Threads::Threads util)
