// glibc's mallopt(3), to tune the allocator for streaming (see Main.tuneMemory).
#include <malloc.h>
