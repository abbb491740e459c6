/*
 * wgd: main() for all three processes.  Started by a user or a service
 * manager it is the parent; re-executed by the parent with the hidden
 * flag -P it becomes the engine or the control process.
 */

#include <sys/types.h>
#include <sys/prctl.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "aead.h"
#include "childlog.h"
#include "config.h"
#include "control.h"
#include "dns.h"
#include "engine.h"
#include "ifname.h"
#include "import.h"
#include "log.h"
#include "parent.h"
#include "proc.h"
#include "wgd.h"

extern char	**environ;

static int	 ready_fd = -1;

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: %s [-dnv] [-D macro=value] [-f file]\n"
	    "       %s -i dir [-f file]\n"
	    "       %s [-dv] ifname\n", getprogname(), getprogname(),
	    getprogname());
	exit(1);
}

/*
 * wgd -n: parse and check only.  No names are resolved and no device is
 * opened, so this works on a build machine.
 */
static int
check_config(const char *conffile, int verbose)
{
	struct conf_msgs	 msgs = TAILQ_HEAD_INITIALIZER(msgs);
	struct wgd_config	*conf;

	conf = parse_config(conffile, &msgs);
	conf_msgs_print(&msgs, stderr);
	conf_msgs_free(&msgs);
	if (conf == NULL)
		return 1;
	if (verbose)
		print_config(stdout, conf);
	config_free(conf);
	printf("configuration OK\n");
	return 0;
}

/*
 * Ready means ready (SPEC): without -d, the process that was started
 * waits here until the daemon has every interface up and its control
 * socket made, and exits 0 only then.  The daemon's errors reach the
 * same stderr until that moment, so a failed start says why.
 */
static void
daemonize(void)
{
	char	 c;
	int	 p[2];
	ssize_t	 n;

	if (pipe2(p, O_CLOEXEC) == -1)
		err(1, "pipe");
	switch (fork()) {
	case -1:
		err(1, "fork");
	case 0:
		break;
	default:
		close(p[1]);
		do {
			n = read(p[0], &c, 1);
		} while (n == -1 && errno == EINTR);
		_exit(n == 1 ? 0 : 1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() == -1)
		err(1, "setsid");
	if (chdir("/") == -1)
		err(1, "chdir /");
}

/* Called by the parent once everything is up. */
static void
ready(void)
{
	int	 fd;

	log_info("started");
	if (ready_fd == -1)
		return;
	if (write(ready_fd, "", 1) != 1)
		log_warn("cannot tell the starting process we are ready");
	close(ready_fd);
	ready_fd = -1;
	/* From now on only syslog: the terminal may be gone. */
	log_init(0, LOG_DAEMON);
	if ((fd = open(_PATH_DEVNULL, O_RDWR)) != -1) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/*
 * libevent reads EVENT_NOEPOLL, EVENT_PRECISE_TIMER and the like from
 * the environment: they would pick calls (select, timerfd) that no
 * child's seccomp filter allows.
 */
static void
drop_libevent_env(void)
{
	char	**e, name[64], *eq;
	size_t	 n;

	for (e = environ; *e != NULL;) {
		if (strncmp(*e, "EVENT_", 6) != 0 ||
		    (eq = strchr(*e, '=')) == NULL) {
			e++;
			continue;
		}
		if ((n = (size_t)(eq - *e)) >= sizeof(name))
			fatalx("environment: %.20s...", *e);
		memcpy(name, *e, n);
		name[n] = '\0';
		if (unsetenv(name) == -1)
			fatal("unsetenv %s", name);
	}
}

/* A child: lock itself up, then serve the parent on fd 3. */
static void __attribute__((__noreturn__))
child_main(enum wgd_proc p, const char *user, int debug, int verbose)
{
	static struct imsgbuf	 early;

	drop_libevent_env();
	log_init_child(debug);
	imsg_init(&early, WGD_CHILD_FD);
	childlog_init_ibuf(&early);
	log_procinit(proc_name(p));
	setproctitle("%s", proc_name(p));
	if (sodium_init() == -1)
		fatalx("cannot initialise libsodium");
	if (p == PROC_ENGINE && aead_init() == -1)
		fatalx("cannot initialise libcrypto");
	/* It stays root, to list the firewall; it never reads a key. */
	if (p == PROC_DOCTOR)
		doctor_main(WGD_CHILD_FD);
	proc_drop(p, user, WGD_CHROOT);
	if (p == PROC_ENGINE || p == PROC_CONTROL) {
		if (fcntl(WGD_IFNAME_FD, F_GETFD) == -1)
			fatal("no interface name socket on fd %d",
			    WGD_IFNAME_FD);
		ifname_init(WGD_IFNAME_FD);
	}
	if (p == PROC_ENGINE)
		engine_main(WGD_CHILD_FD, verbose);
	if (p == PROC_DNS)
		dns_main(WGD_CHILD_FD, verbose);
	control_main(WGD_CHILD_FD, verbose);
}

/* wgd ifname: no file, one interface for wg(8); as wireguard-go ifname. */
static void __attribute__((__noreturn__))
standalone_main(const char *ifname, int debug, int verbose)
{
	struct wgd	 env;

	if (sodium_init() == -1)
		errx(1, "cannot initialise libsodium");
	memset(&env, 0, sizeof(env));
	TAILQ_INIT(&env.ports);
	env.conffile = NULL;
	env.debug = debug;
	env.verbose = verbose;
	env.standalone = 1;
	log_setverbose(verbose);
	if ((env.conf = config_standalone(ifname)) == NULL)
		errx(1, "%s: not a valid interface name", ifname);
	if (getpwnam(env.conf->user) == NULL)
		errx(1, "neither _wgd nor nobody is a user here");
	if (!debug)
		daemonize();
	log_procinit(proc_name(PROC_PARENT));
	setproctitle("%s", proc_name(PROC_PARENT));
	parent_main(&env, ready);
}

int
main(int argc, char *argv[])
{
	struct conf_msgs	 msgs = TAILQ_HEAD_INITIALIZER(msgs);
	struct wgd		 env;
	enum wgd_proc		 role = PROC_PARENT;
	const char		*conffile = WGD_CONF, *user = NULL;
	const char		*importdir = NULL, *ifname = NULL;
	char			*conffile_abs;
	int			 ch, debug = 0, noaction = 0, verbose = 0;
	int			 fileopts = 0;

	/*
	 * libbsd leaves a '.' in a title shorter than argv[0] ("wgd:
	 * parent  ." in ps); started as "wgd" the title is exact.  The
	 * children are started that way; the parent restarts itself so.
	 */
	if (argc > 0 && strcmp(argv[0], "wgd") != 0) {
		argv[0] = (char *)"wgd";
		execv("/proc/self/exe", argv);
		/* Without /proc, a title with a dot is no reason to stop. */
	}
	setproctitle_init(argc, argv, environ);
	/*
	 * Run through /proc/self/exe, the kernel calls us "exe": ps -e,
	 * pgrep wgd and systemctl status would too.
	 */
	(void)prctl(PR_SET_NAME, "wgd", 0, 0, 0);
	log_init(1, LOG_DAEMON);
	while ((ch = getopt(argc, argv, "dD:f:i:nP:u:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			if (cmdline_symset(optarg) == -1)
				errx(1, "-D %s: not macro=value", optarg);
			fileopts = 1;
			break;
		case 'f':
			conffile = optarg;
			fileopts = 1;
			break;
		case 'i':
			importdir = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'P':
			if (proc_from_name(optarg, &role) == -1)
				errx(1, "-P %s: no such process", optarg);
			break;
		case 'u':
			user = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	/* wgd ifname: a standalone interface, wireguard-go's way. */
	if (argc == 1 && role == PROC_PARENT) {
		if (fileopts || noaction || importdir != NULL)
			usage();
		ifname = argv[0];
	} else if (argc > 0)
		usage();
	if (importdir != NULL && (debug || noaction || role != PROC_PARENT))
		usage();

	if (role != PROC_PARENT) {
		if (user == NULL)
			errx(1, "-P needs -u");
		child_main(role, user, debug, verbose);
	}
	if (noaction)
		return check_config(conffile, verbose);

	if (geteuid() != 0)
		errx(1, "need root privileges");
	if (ifname != NULL)
		standalone_main(ifname, debug, verbose);
	/* Reloads happen after chdir("/"): keep the path that works then. */
	if ((conffile_abs = realpath(conffile, NULL)) != NULL)
		conffile = conffile_abs;
	if (sodium_init() == -1)
		errx(1, "cannot initialise libsodium");

	memset(&env, 0, sizeof(env));
	TAILQ_INIT(&env.ports);
	env.conffile = conffile;
	env.debug = debug;
	env.verbose = verbose;
	log_setverbose(verbose);
	env.conf = parse_config(conffile, &msgs);
	conf_msgs_print(&msgs, stderr);
	conf_msgs_free(&msgs);
	if (env.conf == NULL)
		exit(1);
	/* wgd -i: files only, no daemon. */
	if (importdir != NULL) {
		ch = import_container(importdir, env.conf);
		config_free(env.conf);
		exit(ch);
	}
	if (getpwnam(env.conf->user) == NULL)
		errx(1, "unknown user %s: create it with \"useradd --system "
		    "--home-dir /var/empty --shell /usr/sbin/nologin %s\"",
		    env.conf->user, env.conf->user);

	if (!debug)
		daemonize();
	/* Until ready, errors go to the terminal that started us. */
	log_procinit(proc_name(PROC_PARENT));
	setproctitle("%s", proc_name(PROC_PARENT));
	parent_main(&env, ready);
}
