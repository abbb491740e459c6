/*
 * wgd: the privileged parent.  It parses the configuration, sets up the
 * system and supervises the engine and control processes.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: %s [-dnv] [-D macro=value] [-f file]\n",
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

int
main(int argc, char *argv[])
{
	const char	*conffile = WGD_CONF;
	int		 ch, debug = 0, noaction = 0, verbose = 0;

	log_init(1, LOG_DAEMON);
	while ((ch = getopt(argc, argv, "dD:f:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			if (cmdline_symset(optarg) == -1)
				errx(1, "-D %s: not macro=value", optarg);
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
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
	if (argc > 0)
		usage();

	if (noaction)
		return check_config(conffile, verbose);
	(void)debug;
	errx(1, "the daemon is still being written: only -n works yet");
}
