/*
 * wgd/childlog.c: a daemon child's log lines go up its imsg socket as
 * IMSG_LOG with their priority, whole, fatal ones included; the parent
 * logs each one under the child's name with control characters made
 * harmless, and takes a malformed one for the fatal error it is.
 */

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <atf-c.h>

#include "childlog.h"
#include "imsg.h"
#include "log.h"
#include "wgd.h"

/* The next message on ib, which must be an IMSG_LOG: its priority. */
static int32_t
next_line(struct imsgbuf *ib, struct imsg *imsg, const char **text)
{
	int32_t	 pri;
	ssize_t	 n;

	while ((n = imsg_get(ib, imsg)) == 0)
		ATF_REQUIRE(imsg_read(ib) > 0);
	ATF_REQUIRE(n > 0);
	ATF_REQUIRE_EQ(imsg->hdr.type, IMSG_LOG);
	ATF_REQUIRE(imsg_get_len(imsg) > sizeof(pri));
	memcpy(&pri, imsg->data, sizeof(pri));
	*text = (const char *)imsg->data + sizeof(pri);
	return pri;
}

ATF_TC_WITHOUT_HEAD(lines_go_up);
ATF_TC_BODY(lines_go_up, tc)
{
	struct imsgbuf	 child, parent;
	struct imsg	 imsg;
	const char	*text;
	char		 big[3000];
	int		 sv[2], st;
	pid_t		 pid;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	imsg_init(&parent, sv[0]);
	if ((pid = fork()) == 0) {
		imsg_init(&child, sv[1]);
		log_init_child(0);
		childlog_init_ibuf(&child);
		log_warnx("engine: %d peers", 3);
		log_info("second");
		errno = ENOENT;
		log_warn("open %s", "x");
		memset(big, 'b', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		log_info("%s", big);
		fatalx("going");
	}
	ATF_REQUIRE(pid > 0);
	ATF_CHECK_EQ(next_line(&parent, &imsg, &text), LOG_ERR);
	ATF_CHECK_STREQ(text, "engine: 3 peers");
	imsg_free(&imsg);
	ATF_CHECK_EQ(next_line(&parent, &imsg, &text), LOG_INFO);
	ATF_CHECK_STREQ(text, "second");
	imsg_free(&imsg);
	ATF_CHECK_EQ(next_line(&parent, &imsg, &text), LOG_ERR);
	ATF_CHECK_STREQ(text, "open x: No such file or directory");
	imsg_free(&imsg);
	/* Cut to what a line may be, still terminated. */
	ATF_CHECK_EQ(next_line(&parent, &imsg, &text), LOG_INFO);
	ATF_CHECK_EQ(strlen(text), LOG_LINE_MAX - 1);
	imsg_free(&imsg);
	/* The last words before exit(1) are there too. */
	ATF_CHECK_EQ(next_line(&parent, &imsg, &text), LOG_CRIT);
	ATF_CHECK_STREQ(text, "fatal in wgd: going");
	imsg_free(&imsg);
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

/*
 * Relays a message of type IMSG_LOG with body (len bytes) in a child
 * whose stderr goes to the file out; returns its wait status.
 */
static int
relay(const void *body, size_t len, const char *out)
{
	struct imsg	 imsg;
	char		 buf[8192];
	int		 fd, st;
	pid_t		 pid;

	ATF_REQUIRE(len <= sizeof(buf));
	if ((pid = fork()) == 0) {
		if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1
		    || dup2(fd, STDERR_FILENO) == -1)
			_exit(90);
		log_init(1, LOG_DAEMON);
		memset(&imsg, 0, sizeof(imsg));
		memcpy(buf, body, len);
		imsg.hdr.type = IMSG_LOG;
		imsg.hdr.len = (uint16_t)(IMSG_HEADER_SIZE + len);
		imsg.data = buf;
		imsg.fd = -1;
		_exit(childlog_relay("engine", &imsg) == 1 ? 0 : 91);
	}
	ATF_REQUIRE(pid > 0);
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	return st;
}

static size_t
body(char *buf, int32_t pri, const char *text, size_t textlen)
{
	memcpy(buf, &pri, sizeof(pri));
	memcpy(buf + sizeof(pri), text, textlen);
	return sizeof(pri) + textlen;
}

ATF_TC_WITHOUT_HEAD(parent_relays);
ATF_TC_BODY(parent_relays, tc)
{
	const char	 hostile[] = "x\nfake: root\r\x1b[2J";
	char		 b[4096];
	char		 noend[LOG_LINE_MAX + 10];
	int		 st;

	st = relay(b, body(b, LOG_INFO, "a line", 7), "out");
	ATF_REQUIRE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ATF_CHECK(atf_utils_grep_file("^engine: a line$", "out"));
	/* Named once. */
	st = relay(b, body(b, LOG_INFO, "engine: up", 11), "out");
	ATF_REQUIRE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ATF_CHECK(atf_utils_grep_file("^engine: up$", "out"));
	st = relay(b, body(b, LOG_CRIT, "fatal in engine: x", 19), "out");
	ATF_REQUIRE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ATF_CHECK(atf_utils_grep_file("^fatal in engine: x$", "out"));

	/* A child cannot write a line of its own into the log. */
	st = relay(b, body(b, LOG_WARNING, hostile, sizeof(hostile)), "out");
	ATF_REQUIRE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ATF_CHECK(atf_utils_grep_file("^engine: x\\?fake: root\\?\\?\\[2J$",
	    "out"));
	ATF_CHECK(!atf_utils_grep_file("^fake", "out"));

	/* Malformed: fatal, and said so. */
	st = relay(b, body(b, LOG_DEBUG + 1, "x", 2), "out");
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	ATF_CHECK(atf_utils_grep_file("bad IMSG_LOG from engine", "out"));
	st = relay(b, body(b, -1, "x", 2), "out");
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	st = relay(b, body(b, LOG_INFO, "no end", 6), "out");
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	st = relay(b, body(b, LOG_INFO, "", 0), "out");
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	st = relay(b, 2, "out");
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	memset(noend, 'n', sizeof(noend));
	noend[sizeof(noend) - 1] = '\0';
	st = relay(b, body(b, LOG_INFO, noend, sizeof(noend)), "out");
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, lines_go_up);
	ATF_TP_ADD_TC(tp, parent_relays);
	return atf_no_error();
}
