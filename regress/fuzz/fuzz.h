/*
 * What the fuzz harnesses (fuzz_*.c) share.  Each defines
 * LLVMFuzzerTestOneInput(), which libFuzzer calls with generated
 * inputs (make fuzz) and replay.c with the files of a corpus (the
 * Kyua test t_replay, in the plain and the ASan+UBSan build).  A
 * harness sets itself up on its first input, frees everything it
 * made by the end of each one, and opens no file outside the folder
 * fuzz_tmpdir() makes.
 */

#ifndef WGD_FUZZ_H
#define WGD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * A property of the code under test that failed: a finding, like a
 * sanitizer's report.  Aborts after saying where.
 */
#define FUZZ_CHECK(c)	((c) ? (void)0 : \
			    fuzz_fail(__FILE__, __LINE__, #c))
void		 fuzz_fail(const char *, int, const char *)
		    __attribute__((__noreturn__));

/*
 * A private folder under $TMPDIR (or /tmp) for the files a harness
 * writes, made on the first call, removed with its files at exit.
 */
const char	*fuzz_tmpdir(void);
/* Writes len bytes to the file name in it; its path, or aborts. */
const char	*fuzz_write_file(const char *, const void *, size_t, int);
/* Makes the folder name in it, or aborts. */
void		 fuzz_mkdir(const char *);
/* Removes the file name from it, if it is there. */
void		 fuzz_unlink(const char *);

/* The input as a NUL-terminated string (cut at its first NUL); free it. */
char		*fuzz_strdup(const uint8_t *, size_t);

/* Reads an input piece by piece: what is missing reads as zeros. */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 len;
};

uint8_t		 fuzz_u8(struct fuzz_in *);
uint16_t	 fuzz_u16(struct fuzz_in *);
uint32_t	 fuzz_u32(struct fuzz_in *);
uint64_t	 fuzz_u64(struct fuzz_in *);
/* Up to len bytes into buf, zeros after the end; how many were there. */
size_t		 fuzz_bytes(struct fuzz_in *, void *, size_t);

/* Log lines of the code under test go nowhere (formatted all the same). */
void		 fuzz_quiet_log(void);

#endif /* WGD_FUZZ_H */
