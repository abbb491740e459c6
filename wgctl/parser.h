/*
 * wgctl's command line: words matched against token tables, each word
 * abbreviated as far as it stays unambiguous (bgpctl's model).
 */

#ifndef WGCTL_PARSER_H
#define WGCTL_PARSER_H

enum actions {
	NONE,
	GENKEY,
	GENPSK,
	PUBKEY
};

struct parse_result {
	enum actions	 action;
};

/* Returns NULL after printing a one-line error to stderr. */
struct parse_result	*parse(int, char *[]);

#endif /* WGCTL_PARSER_H */
