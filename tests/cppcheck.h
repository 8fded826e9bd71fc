/*
 * cppcheck.h - what cppcheck needs to know of the system headers it does
 * not read: jansson's iteration macros. Only `make check` includes it.
 */
#define json_array_foreach(a, i, v) \
	for ((i) = 0; ((v) = json_array_get((a), (i))) != NULL; (i)++)
#define json_object_foreach(o, k, v) \
	for ((k) = json_object_iter_key(json_object_iter(o)); \
	    (k) != NULL && ((v) = json_object_get((o), (k))) != NULL; \
	    (k) = NULL)
