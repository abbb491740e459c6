/*
 * Token tables for wgctl's commands.  Adding a command is adding a row:
 * the word, the action it selects and the table for the words after it.
 */

#include <err.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "parser.h"

enum token_type {
	ENDTOKEN,
	NOTOKEN,	/* the command may stop here */
	KEYWORD,
	IFNAME,		/* any word that is a valid interface name */
	PEERNAME,	/* any word that is a valid peer name */
	FILENAME	/* any word but "" */
};

struct token {
	enum token_type		 type;
	const char		*keyword;
	enum actions		 value;
	const struct token	*next;
};

static const struct token t_main[];
static const struct token t_show[];
static const struct token t_ifname[];
static const struct token t_peername[];
static const struct token t_log[];
static const struct token t_peer[];
static const struct token t_peer_cmd[];
static const struct token t_file[];
static const struct token t_doctor[];
static const struct token t_doctor_file[];
static const struct token t_doctor_ifname[];

static const struct token t_end[] = {
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_main[] = {
	{ KEYWORD,	"doctor",	DOCTOR,		t_doctor },
	{ KEYWORD,	"genkey",	GENKEY,		t_end },
	{ KEYWORD,	"genpsk",	GENPSK,		t_end },
	{ KEYWORD,	"log",		NONE,		t_log },
	{ KEYWORD,	"peer",		NONE,		t_peer },
	{ KEYWORD,	"pubkey",	PUBKEY,		t_end },
	{ KEYWORD,	"reload",	RELOAD,		t_end },
	{ KEYWORD,	"show",		SHOW,		t_show },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_show[] = {
	{ NOTOKEN,	"",		NONE,		NULL },
	{ KEYWORD,	"interface",	SHOW_ONE_IFACE,	t_ifname },
	{ KEYWORD,	"metrics",	SHOW_METRICS,	t_end },
	{ KEYWORD,	"peer",		SHOW_ONE_PEER,	t_peername },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_ifname[] = {
	{ IFNAME,	"",		NONE,		t_end },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_peername[] = {
	{ PEERNAME,	"",		NONE,		t_end },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_log[] = {
	{ KEYWORD,	"brief",	LOG_BRIEF,	t_end },
	{ KEYWORD,	"verbose",	LOG_VERBOSE,	t_end },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

/* "peer NAME conf|qr|png FILE": NAME comes before the command. */
static const struct token t_peer[] = {
	{ PEERNAME,	"",		NONE,		t_peer_cmd },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_peer_cmd[] = {
	{ KEYWORD,	"conf",		PEER_CONF,	t_end },
	{ KEYWORD,	"png",		PEER_PNG,	t_file },
	{ KEYWORD,	"qr",		PEER_QR,	t_end },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_file[] = {
	{ FILENAME,	"",		NONE,		t_end },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

/* "doctor [-f FILE] [interface]": FILE is read when wgd is not running. */
static const struct token t_doctor[] = {
	{ NOTOKEN,	"",		NONE,		NULL },
	{ KEYWORD,	"-f",		NONE,		t_doctor_file },
	{ IFNAME,	"",		NONE,		t_end },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_doctor_file[] = {
	{ FILENAME,	"",		NONE,		t_doctor_ifname },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_doctor_ifname[] = {
	{ NOTOKEN,	"",		NONE,		NULL },
	{ IFNAME,	"",		NONE,		t_end },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static struct parse_result	res;

/* What a row stands for in a list of valid words. */
static const char *
token_name(const struct token *t)
{
	switch (t->type) {
	case KEYWORD:
		return t->keyword;
	case IFNAME:
		return "an interface name";
	case PEERNAME:
		return "a peer name";
	case FILENAME:
		return "a file name";
	default:
		return NULL;
	}
}

/* The words a table accepts, comma-separated; returns how many. */
static int
valid_words(const struct token *table, char *buf, size_t len)
{
	const char	*w;
	int		 i, n = 0;

	buf[0] = '\0';
	for (i = 0; table[i].type != ENDTOKEN; i++) {
		if ((w = token_name(&table[i])) == NULL)
			continue;
		if (n++ > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, w, len);
	}
	return n;
}

/*
 * Names get the same checks as in wgd's configuration parser, with its
 * words; a file name may be anything open(2) could take.
 */
static int
valid_name(const struct token *t, const char *word)
{
	if (t->type == IFNAME && !conf_valid_ifname(word)) {
		warnx("bad interface name \"%s\": 1-%d characters, "
		    "no '/', ':' or white space", word, IFNAMSIZ - 1);
		return 0;
	}
	if (t->type == PEERNAME && !conf_valid_peer_name(word)) {
		warnx("bad peer name \"%s\": 1-%d characters of "
		    "A-Za-z0-9._-", word, WGD_PEER_NAME_MAX);
		return 0;
	}
	if (t->type == FILENAME && word[0] == '\0') {
		warnx("bad file name \"\"");
		return 0;
	}
	return 1;
}

/*
 * Finds the row a word selects: an exact keyword, the only keyword the
 * word abbreviates, or else a name the table takes.  Returns NULL and
 * says why on stderr otherwise.
 */
static const struct token *
match_token(const char *word, const struct token *table)
{
	const struct token	*match = NULL;
	char			 valid[256];
	size_t			 wlen = strlen(word);
	int			 i, nmatch = 0;

	for (i = 0; table[i].type != ENDTOKEN; i++) {
		if (table[i].type != KEYWORD)
			continue;
		if (strcmp(word, table[i].keyword) == 0)
			return &table[i];
		if (wlen > 0 && strncmp(word, table[i].keyword, wlen) == 0) {
			match = &table[i];
			nmatch++;
		}
	}
	if (nmatch == 1)
		return match;
	if (nmatch == 0) {
		for (i = 0; table[i].type != ENDTOKEN; i++) {
			if (table[i].type != IFNAME &&
			    table[i].type != PEERNAME &&
			    table[i].type != FILENAME)
				continue;
			return valid_name(&table[i], word) ? &table[i] : NULL;
		}
	}

	if (valid_words(table, valid, sizeof(valid)) == 0)
		warnx("unexpected argument \"%s\"", word);
	else
		warnx("%s argument \"%s\": valid are %s",
		    nmatch > 1 ? "ambiguous" : "unknown", word, valid);
	return NULL;
}

/* A command may stop where its table is empty or has a NOTOKEN row. */
static int
may_end(const struct token *table)
{
	int	 i;

	for (i = 0; table[i].type != ENDTOKEN; i++)
		if (table[i].type == NOTOKEN)
			return 1;
	return i == 0;
}

/*
 * "-j" may stand anywhere among the words (bgpctl lets "-j" follow the
 * command too); it is never taken as a name.
 */
struct parse_result *
parse(int argc, char *argv[])
{
	const struct token	*table = t_main, *match;

	memset(&res, 0, sizeof(res));
	for (; argc > 0; argc--, argv++) {
		if (strcmp(argv[0], "-j") == 0) {
			res.json = 1;
			continue;
		}
		if ((match = match_token(argv[0], table)) == NULL)
			return NULL;
		if (match->type == IFNAME || match->type == PEERNAME)
			res.name = argv[0];
		if (match->type == FILENAME)
			res.file = argv[0];
		if (match->value != NONE)
			res.action = match->value;
		table = match->next;
	}
	if (!may_end(table)) {
		char	 valid[256];

		if (valid_words(table, valid, sizeof(valid)) == 1)
			warnx("missing argument: %s", valid);
		else
			warnx("missing argument: one of %s", valid);
		return NULL;
	}
	return &res;
}
