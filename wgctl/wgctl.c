/*
 * wgctl: controls wgd and makes WireGuard keys.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "parser.h"

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: %s command [argument ...]\n", getprogname());
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct parse_result	*res;
	int			 ch;

	while ((ch = getopt(argc, argv, "")) != -1) {
		switch (ch) {
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
		break;
	}
	usage();
}
