/*
 * common/qr.c: the PNG decodes with zbarimg(1) (zbar-tools) to exactly
 * the text, and the terminal rendering is the same QR code, module for
 * module, as libqrencode's at the level qr.h documents (8-bit, level L,
 * smallest version), and decodes too once drawn as an image.
 */

#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>
#include <qrencode.h>

#include "qr.h"

/* A client conf as SPEC's peer_NAME.conf; the keys are made up. */
#define CONF \
	"[Interface]\n" \
	"Address = 10.13.13.2/32, fd00:13:13::2/128\n" \
	"PrivateKey = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n" \
	"DNS = 10.13.13.1\n" \
	"\n" \
	"[Peer]\n" \
	"PublicKey = ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=\n" \
	"PresharedKey = QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\n" \
	"Endpoint = vpn.example.org:51820\n" \
	"AllowedIPs = 0.0.0.0/0, ::/0\n" \
	"PersistentKeepalive = 25"

#define DECODED_MAX	8192
#define PBM_SCALE	4

/* A path for a temporary file with the suffix, made by mkstemps. */
static FILE *
temp_file(char *path, size_t size, const char *suffix)
{
	const char	*dir;
	FILE		*fp;
	int		 fd;

	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
	ATF_REQUIRE((size_t)snprintf(path, size, "%s/t_qr.XXXXXX%s", dir,
	    suffix) < size);
	ATF_REQUIRE_MSG((fd = mkstemps(path, strlen(suffix))) != -1,
	    "mkstemps %s: %s", path, strerror(errno));
	ATF_REQUIRE((fp = fdopen(fd, "w")) != NULL);
	return fp;
}

/*
 * What `zbarimg --raw -q` reads in the image, which must be exactly
 * one symbol: its text and the newline zbarimg writes after it.
 */
static void
require_decodes(const char *path, const char *text)
{
	char	 cmd[1024], *out, *want;
	FILE	*fp;
	size_t	 len;
	int	 status;

	/* QR codes only: noise read as a linear barcode is a second line. */
	ATF_REQUIRE((size_t)snprintf(cmd, sizeof(cmd), "zbarimg --raw -q "
	    "--nodbus -Sdisable -Sqrcode.enable '%s'", path) < sizeof(cmd));
	ATF_REQUIRE((out = malloc(DECODED_MAX)) != NULL);
	ATF_REQUIRE_MSG((fp = popen(cmd, "r")) != NULL, "popen %s", cmd);
	len = fread(out, 1, DECODED_MAX - 1, fp);
	out[len] = '\0';
	status = pclose(fp);
	ATF_REQUIRE_MSG(status == 0, "%s: exit %d (4: no code found, "
	    "127: zbar-tools missing)", cmd, WIFEXITED(status) ?
	    WEXITSTATUS(status) : -1);
	ATF_REQUIRE(asprintf(&want, "%s\n", text) != -1);
	ATF_CHECK_EQ_MSG(len, strlen(want), "decoded %zu bytes, want %zu",
	    len, strlen(want));
	ATF_CHECK_STREQ_MSG(out, want, "decoded:\n%s", out);
	free(want);
	free(out);
}

static QRcode *
reference_code(const char *text)
{
	QRcode	*qr;

	qr = QRcode_encodeData((int)strlen(text), (const unsigned char *)text,
	    0, QR_ECLEVEL_L);
	ATF_REQUIRE(qr != NULL);
	return qr;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * The IHDR of the PNG: 1-bit grayscale, QR_PNG_SCALE pixels a module
 * with the quiet zone around the code libqrencode makes of the text.
 */
static void
check_png_header(const char *path, const char *text)
{
	static const unsigned char sig[8] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
	};
	unsigned char	 hdr[29];
	QRcode		*qr;
	FILE		*fp;
	uint32_t	 dim;

	ATF_REQUIRE((fp = fopen(path, "r")) != NULL);
	ATF_REQUIRE(fread(hdr, 1, sizeof(hdr), fp) == sizeof(hdr));
	fclose(fp);
	qr = reference_code(text);
	dim = (uint32_t)(qr->width + 2 * QR_QUIET_ZONE) * QR_PNG_SCALE;
	QRcode_free(qr);

	ATF_CHECK(memcmp(hdr, sig, sizeof(sig)) == 0);
	ATF_CHECK(memcmp(hdr + 12, "IHDR", 4) == 0);
	ATF_CHECK_EQ(be32(hdr + 16), dim);
	ATF_CHECK_EQ(be32(hdr + 20), dim);
	ATF_CHECK_EQ(hdr[24], 1);	/* bit depth */
	ATF_CHECK_EQ(hdr[25], 0);	/* grayscale */
	fprintf(stderr, "%s: %u x %u pixels\n", path, dim, dim);
}

/* Writes the PNG of text as a temporary file and decodes it. */
static void
require_png_round_trip(const char *text)
{
	char	 path[1024];
	FILE	*fp;

	fp = temp_file(path, sizeof(path), ".png");
	ATF_REQUIRE_MSG(qr_write_png(text, fp) == 0, "qr_write_png: %s",
	    strerror(errno));
	ATF_REQUIRE(fclose(fp) == 0);
	check_png_header(path, text);
	require_decodes(path, text);
	if (getenv("T_QR_KEEP") == NULL)
		unlink(path);
}

/* A conf of about len bytes: CONF with more AllowedIPs. */
static char *
long_conf(size_t len)
{
	char	*s, *t;
	int	 i;

	ATF_REQUIRE((s = strdup(CONF "\nAllowedIPs = 192.168.0.0/24")) !=
	    NULL);
	for (i = 1; strlen(s) < len; i++) {
		ATF_REQUIRE(asprintf(&t, "%s, 192.168.%d.0/24", s, i) != -1);
		free(s);
		s = t;
	}
	return s;
}

ATF_TC_WITHOUT_HEAD(png_decodes);
ATF_TC_BODY(png_decodes, tc)
{
	require_png_round_trip(CONF);
}

ATF_TC_WITHOUT_HEAD(png_trailing_newline);
ATF_TC_BODY(png_trailing_newline, tc)
{
	require_png_round_trip(CONF "\n");
}

ATF_TC_WITHOUT_HEAD(png_long_text);
ATF_TC_BODY(png_long_text, tc)
{
	char	*s;

	s = long_conf(700);
	ATF_REQUIRE(strlen(s) >= 700);
	require_png_round_trip(s);
	free(s);
}

/*
 * The module bitmap, dark = 1, of a terminal rendering: 2 rows a line,
 * as many columns as the first line is wide.  Every line must be of the
 * four cells only, as wide as the first, and end in a newline.
 */
static uint8_t *
parse_terminal(const char *out, int *rows, int *cols)
{
	static const struct {
		const char	*s;
		int		 upper_dark, lower_dark;
	} cells[] = {
		{ " ", 1, 1 },
		{ "\xe2\x96\x80", 0, 1 },	/* U+2580 upper half */
		{ "\xe2\x96\x84", 1, 0 },	/* U+2584 lower half */
		{ "\xe2\x96\x88", 0, 0 },	/* U+2588 full block */
	};
	const size_t	 ncells = sizeof(cells) / sizeof(cells[0]);
	const char	*p;
	uint8_t		*bits;
	size_t		 i, len, width, lines;
	int		 line, x;

	/* A cell is at least a byte: the first line's bytes bound widths. */
	width = strcspn(out, "\n");
	for (lines = 0, p = out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	ATF_REQUIRE(lines > 0 && width > 0);
	ATF_REQUIRE((bits = calloc(2 * lines, width)) != NULL);

	*cols = -1;
	for (line = 0, p = out; *p != '\0'; line++, p++) {
		for (x = 0; *p != '\n'; x++, p += len) {
			ATF_REQUIRE_MSG(*p != '\0', "line %d: no newline",
			    line + 1);
			ATF_REQUIRE_MSG((size_t)x < width, "line %d is too "
			    "wide", line + 1);
			for (i = 0; i < ncells; i++) {
				len = strlen(cells[i].s);
				if (strncmp(p, cells[i].s, len) == 0)
					break;
			}
			ATF_REQUIRE_MSG(i < ncells, "line %d column %d: not a "
			    "half block", line + 1, x + 1);
			bits[2 * line * width + x] = cells[i].upper_dark;
			bits[(2 * line + 1) * width + x] = cells[i].lower_dark;
		}
		if (*cols == -1)
			*cols = x;
		ATF_REQUIRE_EQ_MSG(x, *cols, "line %d is %d wide, line 1 %d",
		    line + 1, x, *cols);
	}
	*rows = 2 * line;
	/* Pack the rows to the width found. */
	for (x = 0; x < *rows; x++)
		memmove(bits + (size_t)x * *cols, bits + x * width, *cols);
	return bits;
}

/* The bitmap as a PBM image, PBM_SCALE pixels a module. */
static void
write_pbm(const char *path, const uint8_t *bits, int rows, int cols)
{
	FILE	*fp;
	int	 x, y, i, j;

	ATF_REQUIRE((fp = fopen(path, "w")) != NULL);
	fprintf(fp, "P1\n%d %d\n", cols * PBM_SCALE, rows * PBM_SCALE);
	for (y = 0; y < rows; y++)
		for (i = 0; i < PBM_SCALE; i++) {
			for (x = 0; x < cols; x++)
				for (j = 0; j < PBM_SCALE; j++)
					fputs(bits[y * cols + x] ? "1" : "0",
					    fp);
			fputc('\n', fp);
		}
	ATF_REQUIRE(fclose(fp) == 0);
}

static void
require_terminal(const char *text)
{
	char	*out, path[1024];
	size_t	 outlen;
	uint8_t	*bits;
	QRcode	*qr;
	FILE	*fp;
	int	 rows, cols, n, x, y, dark, want;

	ATF_REQUIRE((fp = open_memstream(&out, &outlen)) != NULL);
	ATF_REQUIRE_MSG(qr_write_terminal(text, fp) == 0,
	    "qr_write_terminal: %s", strerror(errno));
	ATF_REQUIRE(fclose(fp) == 0);
	fprintf(stderr, "%s", out);

	qr = reference_code(text);
	n = qr->width + 2 * QR_QUIET_ZONE;
	bits = parse_terminal(out, &rows, &cols);
	/* Lines of n columns, (n + 1) / 2 of them: n is odd. */
	ATF_REQUIRE_EQ(cols, n);
	ATF_REQUIRE_EQ(rows / 2, (n + 1) / 2);
	for (y = 0; y < rows; y++)
		for (x = 0; x < cols; x++) {
			dark = bits[y * cols + x];
			if (y < QR_QUIET_ZONE || y >= QR_QUIET_ZONE +
			    qr->width || x < QR_QUIET_ZONE ||
			    x >= QR_QUIET_ZONE + qr->width)
				want = 0;
			else
				want = qr->data[(y - QR_QUIET_ZONE) *
				    qr->width + x - QR_QUIET_ZONE] & 1;
			ATF_REQUIRE_EQ_MSG(dark, want, "module (%d, %d) is "
			    "%s", x - QR_QUIET_ZONE, y - QR_QUIET_ZONE,
			    dark ? "dark" : "light");
		}
	QRcode_free(qr);

	fclose(temp_file(path, sizeof(path), ".pbm"));
	write_pbm(path, bits, rows, cols);
	require_decodes(path, text);
	unlink(path);
	free(bits);
	free(out);
}

ATF_TC_WITHOUT_HEAD(terminal_modules);
ATF_TC_BODY(terminal_modules, tc)
{
	require_terminal(CONF);
	require_terminal(CONF "\n");
}

ATF_TC_WITHOUT_HEAD(terminal_long_text);
ATF_TC_BODY(terminal_long_text, tc)
{
	char	*s;

	s = long_conf(700);
	require_terminal(s);
	free(s);
}

ATF_TC_WITHOUT_HEAD(errors);
ATF_TC_BODY(errors, tc)
{
	char	*s;
	FILE	*fp;

	ATF_REQUIRE((fp = fopen("/dev/null", "w")) != NULL);
	errno = 0;
	ATF_CHECK_EQ(qr_write_png("", fp), -1);
	ATF_CHECK_EQ(errno, EINVAL);
	errno = 0;
	ATF_CHECK_EQ(qr_write_terminal("", fp), -1);
	ATF_CHECK_EQ(errno, EINVAL);

	/* Version 40 at level L holds 2953 bytes. */
	ATF_REQUIRE((s = malloc(2955)) != NULL);
	memset(s, 'a', 2954);
	s[2954] = '\0';
	errno = 0;
	ATF_CHECK_EQ(qr_write_png(s, fp), -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	errno = 0;
	ATF_CHECK_EQ(qr_write_terminal(s, fp), -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	s[2953] = '\0';
	ATF_CHECK_EQ(qr_write_png(s, fp), 0);
	ATF_CHECK_EQ(qr_write_terminal(s, fp), 0);
	free(s);
	fclose(fp);

	/*
	 * A full disk is the stream's error, not a silent short file:
	 * found by the final fflush, or, unbuffered, by libpng's fwrite.
	 */
	if ((fp = fopen("/dev/full", "w")) == NULL)
		atf_tc_skip("no /dev/full");
	errno = 0;
	ATF_CHECK_EQ(qr_write_png(CONF, fp), -1);
	ATF_CHECK_EQ(errno, ENOSPC);
	fclose(fp);
	ATF_REQUIRE((fp = fopen("/dev/full", "w")) != NULL);
	ATF_REQUIRE(setvbuf(fp, NULL, _IONBF, 0) == 0);
	errno = 0;
	ATF_CHECK_EQ(qr_write_png(CONF, fp), -1);
	ATF_CHECK_EQ(errno, ENOSPC);
	fclose(fp);
	ATF_REQUIRE((fp = fopen("/dev/full", "w")) != NULL);
	errno = 0;
	ATF_CHECK_EQ(qr_write_terminal(CONF, fp), -1);
	ATF_CHECK_EQ(errno, ENOSPC);
	fclose(fp);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, png_decodes);
	ATF_TP_ADD_TC(tp, png_trailing_newline);
	ATF_TP_ADD_TC(tp, png_long_text);
	ATF_TP_ADD_TC(tp, terminal_modules);
	ATF_TP_ADD_TC(tp, terminal_long_text);
	ATF_TP_ADD_TC(tp, errors);
	return atf_no_error();
}
