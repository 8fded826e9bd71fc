/*
 * fuzz.h - what the fuzz targets share. Each target (fuzz-NAME.c) is
 * one loader fed one input: LLVMFuzzerTestOneInput(), built two ways by
 * the Makefile: with libFuzzer for `make fuzz` (clang), and with
 * replay.c and the sanitizers for `make test`, which runs it over the
 * seed corpus (corpus/NAME) and the inputs that once crashed it
 * (crashes/NAME). A new loader gets a file and a corpus folder; nothing
 * else lists the targets.
 */
#ifndef HV_FUZZ_H
#define HV_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * A folder of the process's own for files a target writes (made once,
 * removed at exit), and the path of name in it (static storage).
 */
const char	*hv_fuzz_path(const char *name);
/* Writes data to the file at path; aborts if it cannot. */
void		 hv_fuzz_write(const char *path, const uint8_t *, size_t);
/* Quiet logs, no colour: once per process. */
void		 hv_fuzz_init(void);
/* Undoes what one input may leave behind (the secrets it read). */
void		 hv_fuzz_done(void);

#endif
