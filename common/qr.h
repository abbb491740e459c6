/*
 * QR codes of a text (a client configuration) for the WireGuard apps:
 * as a PNG file and as UTF-8 half blocks for a terminal.  Both encode
 * the text's bytes exactly, in 8-bit mode, at error correction level L
 * (the densest, as the linuxserver container's `qrencode` uses and the
 * WireGuard apps read), in the smallest version that holds it.
 *
 * Both return 0, or -1 with errno set and nothing logged:
 *	EINVAL		the text is empty
 *	EMSGSIZE	the text does not fit in a QR code (2953 bytes at most)
 *	ENOMEM		out of memory
 *	others		from the stream (EIO when libpng gave no reason)
 * On error part of the image may have been written to fp.  The stream is
 * flushed, not closed: a caller writing a file for good fsyncs and
 * closes it.
 */

#ifndef WGD_QR_H
#define WGD_QR_H

#include <stdio.h>

#define QR_QUIET_ZONE	4	/* modules of light margin on each side */
#define QR_PNG_SCALE	8	/* pixels per module in the PNG */

int	qr_write_png(const char *, FILE *);
int	qr_write_terminal(const char *, FILE *);

#endif /* WGD_QR_H */
