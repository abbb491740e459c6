/*
 * QR codes with libqrencode, written as a 1-bit grayscale PNG with
 * libpng or as UTF-8 half blocks.  The text holds a private key: the
 * buffers made here and the module bitmap are wiped before they are
 * freed.  The working copies libqrencode and libpng make inside their
 * calls are freed by them unwiped; nothing here can reach those.
 */

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "qr.h"

static QRcode	*qr_encode(const char *);
static void	 qr_free(QRcode *);
static int	 qr_dark(const QRcode *, int, int);
static int	 qr_flush(FILE *);
static void	 qr_png_error(png_structp, png_const_charp);
static void	 qr_png_warning(png_structp, png_const_charp);
static int	 qr_png_rows(png_structp, png_infop, const QRcode *,
		    uint8_t *, FILE *);

/*
 * The whole text in one 8-bit segment, so readers give back its bytes
 * as they are; a conf is mostly lower case and base64, which the
 * denser numeric and alphanumeric modes cannot hold anyway.  Version 0
 * lets libqrencode pick the smallest that fits.
 */
static QRcode *
qr_encode(const char *text)
{
	QRcode	*qr;
	size_t	 len;

	len = strlen(text);
	if (len == 0) {
		errno = EINVAL;
		return (NULL);
	}
	if (len > INT_MAX) {
		errno = EMSGSIZE;
		return (NULL);
	}
	errno = 0;
	qr = QRcode_encodeData((int)len, (const unsigned char *)text, 0,
	    QR_ECLEVEL_L);
	if (qr == NULL) {
		/* libqrencode says ERANGE for "too large for version 40". */
		if (errno == ERANGE)
			errno = EMSGSIZE;
		else if (errno == 0)
			errno = EINVAL;
	}
	return (qr);
}

/* The bitmap is the text in another form: wipe it too. */
static void
qr_free(QRcode *qr)
{
	int	 saved_errno = errno;

	explicit_bzero(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	errno = saved_errno;
}

/*
 * Whether the module at (x, y) of the image is dark; the image has the
 * quiet zone around the code, so (QR_QUIET_ZONE, QR_QUIET_ZONE) is the
 * code's top left module and everything outside the code is light.
 */
static int
qr_dark(const QRcode *qr, int x, int y)
{
	x -= QR_QUIET_ZONE;
	y -= QR_QUIET_ZONE;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return (0);
	return (qr->data[y * qr->width + x] & 1);
}

static int
qr_flush(FILE *fp)
{
	if (fflush(fp) != 0)
		return (-1);
	if (ferror(fp)) {
		errno = EIO;
		return (-1);
	}
	return (0);
}

/*
 * libpng's default handlers print to stderr; a library keeps quiet and
 * leaves the reason in errno (that of the failed fwrite or malloc, if
 * any) for the caller to log.
 */
static void
qr_png_error(png_structp png, png_const_charp msg)
{
	int	*error = png_get_error_ptr(png);

	(void)msg;
	*error = errno != 0 ? errno : EIO;
	png_longjmp(png, 1);
}

static void
qr_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/*
 * The setjmp lives here, apart from the caller's cleanup, so that no
 * variable read after a longjmp was changed after the setjmp.
 */
static int
qr_png_rows(png_structp png, png_infop info, const QRcode *qr, uint8_t *row,
    FILE *fp)
{
	size_t	 rowlen;
	int	 n, dim, x, y, i, px;

	n = qr->width + 2 * QR_QUIET_ZONE;
	dim = n * QR_PNG_SCALE;
	rowlen = ((size_t)dim + 7) / 8;

	if (setjmp(png_jmpbuf(png)))
		return (-1);
	png_init_io(png, fp);
	png_set_IHDR(png, info, dim, dim, 1, PNG_COLOR_TYPE_GRAY,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	/* In 1-bit gray a set bit is white, and the first pixel is the MSB. */
	for (y = 0; y < n; y++) {
		memset(row, 0xff, rowlen);
		for (x = 0; x < n; x++) {
			if (!qr_dark(qr, x, y))
				continue;
			for (i = 0; i < QR_PNG_SCALE; i++) {
				px = x * QR_PNG_SCALE + i;
				row[px / 8] &= ~(0x80 >> (px % 8));
			}
		}
		for (i = 0; i < QR_PNG_SCALE; i++)
			png_write_row(png, row);
	}
	png_write_end(png, NULL);
	return (0);
}

/*
 * Writes the QR code of text to fp as a PNG: black modules on white,
 * QR_PNG_SCALE pixels each, a quiet zone of QR_QUIET_ZONE modules, no
 * text chunks.  A client conf of 300 to 500 bytes makes 552 to 680
 * pixels square.
 */
int
qr_write_png(const char *text, FILE *fp)
{
	QRcode		*qr;
	png_structp	 png;
	png_infop	 info = NULL;
	uint8_t		*row;
	size_t		 rowlen;
	int		 error = 0, ret = -1;

	if ((qr = qr_encode(text)) == NULL)
		return (-1);
	rowlen = ((size_t)(qr->width + 2 * QR_QUIET_ZONE) * QR_PNG_SCALE + 7) /
	    8;
	if ((row = malloc(rowlen)) == NULL) {
		qr_free(qr);
		return (-1);
	}
	errno = 0;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error,
	    qr_png_error, qr_png_warning);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
		error = ENOMEM;
		goto done;
	}
	if (qr_png_rows(png, info, qr, row, fp) == -1)
		goto done;
	if (qr_flush(fp) == -1) {
		error = errno;
		goto done;
	}
	ret = 0;
 done:
	png_destroy_write_struct(&png, &info);
	explicit_bzero(row, rowlen);
	free(row);
	qr_free(qr);
	if (ret == -1)
		errno = error != 0 ? error : EIO;
	return (ret);
}

/*
 * Writes the QR code of text to fp as lines of UTF-8 half blocks, two
 * module rows to a line, with the quiet zone: (width + 9) / 2 lines of
 * width + 8 columns, each ending in a newline, no escape sequences.
 *
 * The light modules are drawn and the dark ones are left blank, as
 * `qrencode -t UTF8` does: on the usual terminal, light text on a dark
 * background, the blocks show light and the blanks dark, which is a QR
 * code the right way round with a light quiet zone for the phone's
 * camera.  (On a dark-on-light terminal it shows inverted, which some
 * readers refuse; wgctl can write a PNG there.)  The last line's lower
 * half, below the quiet zone, is drawn light too.
 */
int
qr_write_terminal(const char *text, FILE *fp)
{
	/* Indexed by (upper light) << 1 | (lower light). */
	static const char *const cell[4] = {
		" ",			/* both dark */
		"\xe2\x96\x84",		/* U+2584 lower half block */
		"\xe2\x96\x80",		/* U+2580 upper half block */
		"\xe2\x96\x88",		/* U+2588 full block */
	};
	QRcode	*qr;
	int	 n, x, y, upper, lower, ret;

	if ((qr = qr_encode(text)) == NULL)
		return (-1);
	n = qr->width + 2 * QR_QUIET_ZONE;
	for (y = 0; y < n; y += 2) {
		for (x = 0; x < n; x++) {
			upper = !qr_dark(qr, x, y);
			lower = y + 1 < n ? !qr_dark(qr, x, y + 1) : 1;
			fputs(cell[upper << 1 | lower], fp);
		}
		putc('\n', fp);
	}
	ret = qr_flush(fp);
	qr_free(qr);
	return (ret);
}
