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
	PUBKEY,
	SHOW,
	SHOW_ONE_IFACE,
	SHOW_ONE_PEER,
	SHOW_METRICS,
	RELOAD,
	LOG_VERBOSE,
	LOG_BRIEF,
	PEER_CONF,
	PEER_QR,
	PEER_PNG,
	DOCTOR,
	DOCTOR_PEERS		/* its second request: a show */
};

struct parse_result {
	enum actions	 action;
	const char	*name;		/* SHOW_ONE_*, PEER_*: argv, checked */
	const char	*file;		/* PEER_PNG, DOCTOR -f: argv, not "" */
	int		 json;		/* -j was among the words */
};

/* Returns NULL after printing a one-line error to stderr. */
struct parse_result	*parse(int, char *[]);

#endif /* WGCTL_PARSER_H */
