/*
 * wgctl's reading of wgd's replies (wgctl/reply.c) and what it prints
 * of them, on any byte stream from the control socket.  The first byte
 * says which request the stream answers, as wgctl.c's ctl_replies()
 * would read it:
 *
 *	0 show, text	1 show -j	2 show metrics	3 doctor's peers
 *	4 doctor's checks (lines at once)	5 reload, log (no output)
 *	6 peer conf	7 peer qr (the conf as a QR code, for a terminal)
 *
 * and the rest is what wgd sent, read through a socketpair with
 * imsg_read and imsg_get up to the end, a message refused ("bad reply"),
 * a malformed header or the end of the stream.  The clock is fixed.
 */

#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "imsg.h"
#include "output.h"
#include "qr.h"
#include "reply.h"

#define NOW	1700000000	/* Tue Nov 14 22:13:20 UTC 2023 */

static FILE *
memfile(char **buf, size_t *len)
{
	FILE	*f;

	if ((f = open_memstream(buf, len)) == NULL)
		abort();
	return f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const struct output	*outs[] = { &output_text,
		&output_json, &output_metrics, &output_doctor, NULL, NULL,
		NULL, NULL };
	struct reply	 r;
	struct imsgbuf	*ib;
	struct imsg	 imsg;
	char		*out = NULL, *lines = NULL, *errors = NULL, *qr = NULL;
	size_t		 outlen = 0, lineslen = 0, errorslen = 0, qrlen = 0;
	ssize_t		 n;
	FILE		*qrf;
	int		 sv[2], mode, done = 0;

	if (len < 1)
		return 0;
	mode = data[0] & 7;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	/* A socket takes this much at once: the rest is never sent. */
	if (len - 1 > 65536)
		len = 65536 + 1;
	if (len > 1)
		FUZZ_CHECK(write(sv[1], data + 1, len - 1) == (ssize_t)len - 1);
	close(sv[1]);

	memset(&r, 0, sizeof(r));
	r.out = outs[mode];
	r.ctx.f = memfile(&out, &outlen);
	r.lines = memfile(&lines, &lineslen);
	r.errors = memfile(&errors, &errorslen);
	r.now = NOW;
	r.lines_say_why = mode == 4;
	r.want_conf = mode >= 6;
	if ((ib = calloc(1, sizeof(*ib))) == NULL)
		abort();
	imsg_init(ib, sv[0]);
	while (!done) {
		if ((n = imsg_get(ib, &imsg)) == -1)
			break;
		if (n == 0) {
			if (imsg_read(ib) <= 0)
				break;		/* closed: an error */
			continue;
		}
		done = reply_dispatch(&r, &imsg);
		imsg_free(&imsg);
		if (done == -1)
			break;			/* bad reply */
	}
	if (done == 1 && r.want_conf && r.status == 0) {
		FUZZ_CHECK(r.conf != NULL);
		if (mode == 7) {
			qrf = memfile(&qr, &qrlen);
			(void)qr_write_terminal(r.conf, qrf);
			fclose(qrf);
			free(qr);
		}
	}
	FUZZ_CHECK(done != 1 || r.status == 0 || r.status == 1);
	/*
	 * wgctl exits at a reply cut short; here the backend ends it, so
	 * that what its head() made for the output is freed.
	 */
	if (done != 1 && r.begun)
		r.out->tail(&r.ctx);

	fclose(r.ctx.f);
	fclose(r.lines);
	fclose(r.errors);
	free(out);
	free(lines);
	free(errors);
	free(r.aips);
	if (r.conf != NULL) {
		explicit_bzero(r.conf, strlen(r.conf));
		free(r.conf);
	}
	imsg_clear(ib);
	free(ib);
	close(sv[0]);
	return 0;
}
