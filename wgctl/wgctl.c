/*
 * wgctl: controls wgd and makes WireGuard keys.
 *
 * A daemon command is one request on the control socket and the replies
 * up to IMSG_CTL_END.  Every reply is checked before use: wgctl prints
 * nothing that did not parse, and nothing of a reply it refused.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "addr.h"
#include "config.h"
#include "imsg.h"
#include "keys.h"
#include "output.h"
#include "parser.h"
#include "qr.h"
#include "reply.h"
#include "wgd.h"

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: %s [-j] [-s socket] command [argument ...]\n",
	    getprogname());
	exit(1);
}

static void __attribute__((__noreturn__))
bad_reply(void)
{
	errx(1, "bad reply from wgd");
}

static void __attribute__((__noreturn__))
closed(void)
{
	errx(1, "wgd closed the connection");
}

/* Returns the connected socket, or -1 with errno set. */
static int
ctl_try_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
ctl_connect(const char *path)
{
	int	 fd;

	if ((fd = ctl_try_connect(path)) == -1)
		err(1, "connect %s", path);
	return fd;
}

static void
ctl_request(struct imsgbuf *ibuf, const struct parse_result *res)
{
	struct ctl_show		 show;
	struct ctl_peer_req	 req;
	struct ctl_doctor	 doc;
	int			 verbose, rv = -1;

	switch (res->action) {
	case SHOW:
	case SHOW_METRICS:
	case SHOW_ONE_IFACE:
	case SHOW_ONE_PEER:
	case DOCTOR_PEERS:
		memset(&show, 0, sizeof(show));
		if (res->action == SHOW || res->action == SHOW_METRICS ||
		    (res->action == DOCTOR_PEERS && res->name == NULL))
			show.what = SHOW_ALL;
		else
			show.what = res->action == SHOW_ONE_PEER ?
			    SHOW_PEER : SHOW_IFACE;
		if (res->name != NULL)
			strlcpy(show.name, res->name, sizeof(show.name));
		rv = imsg_compose(ibuf, IMSG_CTL_SHOW, 0, 0, -1, &show,
		    sizeof(show));
		break;
	case RELOAD:
		rv = imsg_compose(ibuf, IMSG_CTL_RELOAD, 0, 0, -1, NULL, 0);
		break;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		verbose = res->action == LOG_VERBOSE;
		rv = imsg_compose(ibuf, IMSG_CTL_LOG_VERBOSE, 0, 0, -1,
		    &verbose, sizeof(verbose));
		break;
	case PEER_CONF:
	case PEER_QR:
	case PEER_PNG:
		/* The three differ only in what wgctl makes of the reply. */
		memset(&req, 0, sizeof(req));
		strlcpy(req.name, res->name, sizeof(req.name));
		rv = imsg_compose(ibuf, IMSG_CTL_PEER_CONF, 0, 0, -1, &req,
		    sizeof(req));
		break;
	case DOCTOR:
		memset(&doc, 0, sizeof(doc));
		if (res->name != NULL)
			strlcpy(doc.name, res->name, sizeof(doc.name));
		rv = imsg_compose(ibuf, IMSG_CTL_DOCTOR, 0, 0, -1, &doc,
		    sizeof(doc));
		break;
	default:
		errx(1, "%s: not a daemon command", __func__);
	}
	if (rv == -1)
		err(1, "imsg_compose");
	if (imsg_flush(ibuf) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			closed();
		err(1, "send to wgd");
	}
}

/*
 * Reads replies up to IMSG_CTL_END.  Standard output is collected in a
 * buffer and written only then, so a reply refused half-way leaves no
 * half-printed output (and never half a JSON object) behind.
 *
 * conf is NULL but for a peer request: then it returns the peer's client
 * configuration there when wgd's status is 0, a NUL-terminated string
 * the caller wipes and frees; NULL otherwise.
 *
 * nerrors is NULL but for a doctor, whose FAIL lines say why it exits
 * 1: then it returns there how many errors wgd sent besides.
 */
static int
ctl_replies(struct imsgbuf *ibuf, const struct output *out, char **conf,
    int *nerrors)
{
	struct reply	 r;
	struct imsg	 imsg;
	char		*buf = NULL;
	size_t		 buflen = 0;
	ssize_t		 n;
	int		 done = 0;

	memset(&r, 0, sizeof(r));
	r.out = out;
	r.lines = stdout;
	r.errors = stderr;
	r.want_conf = conf != NULL;
	r.lines_say_why = nerrors != NULL;
	if ((r.ctx.f = open_memstream(&buf, &buflen)) == NULL)
		err(1, "open_memstream");
	while (!done) {
		if ((n = imsg_get(ibuf, &imsg)) == -1) {
			if (errno == ERANGE)
				bad_reply();
			err(1, "imsg_get");
		}
		if (n == 0) {
			if ((n = imsg_read(ibuf)) == -1) {
				if (errno == ECONNRESET)
					closed();
				if (errno == EBADMSG)
					bad_reply();
				err(1, "read from wgd");
			}
			if (n == 0)
				closed();
			continue;
		}
		if ((done = reply_dispatch(&r, &imsg)) == -1)
			bad_reply();
		imsg_free(&imsg);
	}
	if (fclose(r.ctx.f) == EOF)
		err(1, "open_memstream");
	if (buflen > 0 &&
	    (fwrite(buf, 1, buflen, stdout) != buflen || fflush(stdout) == EOF))
		err(1, "stdout");
	free(buf);
	free(r.aips);
	if (r.conf != NULL && r.status != 0) {
		explicit_bzero(r.conf, strlen(r.conf));
		free(r.conf);
		r.conf = NULL;
	}
	if (conf != NULL)
		*conf = r.conf;
	if (nerrors != NULL)
		*nerrors = r.nerrors;
	return r.status;
}

/*
 * Standard output of a peer command carries a private key, or a QR code
 * of one: it gets this buffer instead of one stdio allocates, so that it
 * can be wiped.  stdio uses it up to exit, hence static.
 */
static char	 stdout_buf[BUFSIZ];

/* Before anything is written to stdout. */
static void
stdout_wipeable(void)
{
	if (setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf)) != 0)
		err(1, "setvbuf");
}

/* Drops what a failed write left in the buffer: exit must not retry. */
static void
stdout_wipe(void)
{
	fpurge(stdout);
	explicit_bzero(stdout_buf, sizeof(stdout_buf));
}

static int
stdout_done(void)
{
	int	 rv = 0;

	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("stdout");
		rv = 1;
	}
	stdout_wipe();
	return rv;
}

/* "peer NAME conf": the text as wgd sent it. */
static int
peer_conf(const char *conf)
{
	fputs(conf, stdout);
	return stdout_done();
}

/* "peer NAME qr": UTF-8 half blocks, as qrencode -t UTF8 draws them. */
static int
peer_qr(const struct parse_result *res, const char *conf)
{
	if (qr_write_terminal(conf, stdout) == -1) {
		if (errno == EMSGSIZE)
			warnx("the configuration of peer %s is too long for "
			    "a QR code", res->name);
		else if (errno == ENOMEM)
			warn(NULL);
		else
			warn("stdout");
		stdout_wipe();
		return 1;
	}
	return stdout_done();
}

/*
 * "peer NAME png FILE": the PNG the WireGuard apps scan.  A new FILE is
 * made 0600, as it holds a private key; an existing one is truncated and
 * keeps its mode, with a warning (as genkey's) if others may read it.
 * The stream is unbuffered: libpng writes whole chunks, and stdio would
 * otherwise keep a copy of the image that nothing wipes.
 */
static int
peer_png(const struct parse_result *res, const char *conf)
{
	struct stat	 st;
	FILE		*fp;
	int		 fd;

	if ((fd = open(res->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		warn("%s", res->file);
		return 1;
	}
	if (fstat(fd, &st) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		warn("%s", res->file);
		close(fd);
		return 1;
	}
	setvbuf(fp, NULL, _IONBF, 0);
	if (S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
		warnx("%s: writing a private key to a file others can read",
		    res->file);
	if (qr_write_png(conf, fp) == -1) {
		if (errno == EMSGSIZE)
			warnx("%s: the configuration of peer %s is too long "
			    "for a QR code", res->file, res->name);
		else
			warn("%s", res->file);
		fclose(fp);
		return 1;
	}
	/* A FILE such as /dev/stdout may be a pipe, which has no fsync. */
	if (S_ISREG(st.st_mode) && fsync(fd) == -1) {
		warn("%s", res->file);
		fclose(fp);
		return 1;
	}
	if (fclose(fp) == EOF) {
		warn("%s", res->file);
		return 1;
	}
	return 0;
}

static int
peer_output(const struct parse_result *res, const char *conf)
{
	switch (res->action) {
	case PEER_CONF:
		return peer_conf(conf);
	case PEER_QR:
		return peer_qr(res, conf);
	case PEER_PNG:
		return peer_png(res, conf);
	default:
		errx(1, "%s: not a peer command", __func__);
	}
}

/*
 * wgctl doctor: wgd's checks of the system, then the peers as show
 * sees them; the checks that need no daemon when none answers.
 */
static int
doctor(struct parse_result *res, const char *sockpath)
{
	struct imsgbuf	 ibuf;
	int		 fd, status, nerrors;

	if ((fd = ctl_try_connect(sockpath)) == -1) {
		if (errno != ENOENT && errno != ECONNREFUSED)
			err(1, "connect %s", sockpath);
		return doctor_offline(sockpath, res->file != NULL ? res->file :
		    WGD_CONF, res->name);
	}
	imsg_init(&ibuf, fd);
	ctl_request(&ibuf, res);
	status = ctl_replies(&ibuf, NULL, NULL, &nerrors);
	if (nerrors == 0) {
		res->action = DOCTOR_PEERS;
		ctl_request(&ibuf, res);
		if (ctl_replies(&ibuf, &output_doctor, NULL, NULL) != 0)
			status = 1;
	}
	imsg_clear(&ibuf);
	close(fd);
	return status;
}

int
main(int argc, char *argv[])
{
	struct parse_result	*res;
	struct imsgbuf		 ibuf;
	const char		*sockpath = WGD_SOCKET;
	char			*conf;
	int			 ch, fd, json = 0, status;

	while ((ch = getopt(argc, argv, "+js:")) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			sockpath = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	if ((res = parse(argc, argv)) == NULL)
		exit(1);
	if (json)
		res->json = 1;
	if (sodium_init() == -1)
		errx(1, "cannot initialise libsodium");

	switch (res->action) {
	case GENKEY:
		return keys_genkey();
	case GENPSK:
		return keys_genpsk();
	case PUBKEY:
		return keys_pubkey();
	case NONE:
		usage();
	default:
		break;
	}

	if (res->action == PEER_CONF || res->action == PEER_QR)
		stdout_wipeable();

	if (res->action == DOCTOR)
		return doctor(res, sockpath);

	fd = ctl_connect(sockpath);
	imsg_init(&ibuf, fd);
	ctl_request(&ibuf, res);
	switch (res->action) {
	case SHOW:
	case SHOW_ONE_IFACE:
	case SHOW_ONE_PEER:
		status = ctl_replies(&ibuf,
		    res->json ? &output_json : &output_text, NULL, NULL);
		break;
	case SHOW_METRICS:
		status = ctl_replies(&ibuf, &output_metrics, NULL, NULL);
		break;
	case PEER_CONF:
	case PEER_QR:
	case PEER_PNG:
		status = ctl_replies(&ibuf, NULL, &conf, NULL);
		if (status == 0) {
			status = peer_output(res, conf);
			explicit_bzero(conf, strlen(conf));
			free(conf);
		}
		break;
	default:
		status = ctl_replies(&ibuf, NULL, NULL, NULL);
		break;
	}
	imsg_clear(&ibuf);
	close(fd);
	return status;
}
