/*
 * Token tables for wgctl's commands.  Adding a command is adding a row:
 * the word, the action it selects and the table for the words after it.
 */

#include <err.h>
#include <stdio.h>
#include <string.h>

#include "parser.h"

enum token_type {
	ENDTOKEN,
	NOTOKEN,
	KEYWORD
};

struct token {
	enum token_type		 type;
	const char		*keyword;
	enum actions		 value;
	const struct token	*next;
};

static const struct token t_main[];

static const struct token t_end[] = {
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_main[] = {
	{ KEYWORD,	"genkey",	GENKEY,		t_end },
	{ KEYWORD,	"genpsk",	GENPSK,		t_end },
	{ KEYWORD,	"pubkey",	PUBKEY,		t_end },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static struct parse_result	res;

static void
valid_words(const struct token *table, char *buf, size_t len)
{
	int	 i;

	buf[0] = '\0';
	for (i = 0; table[i].type != ENDTOKEN; i++) {
		if (table[i].type != KEYWORD)
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ", ", len);
		strlcat(buf, table[i].keyword, len);
	}
}

/*
 * Finds the row a word selects: an exact match, or the only keyword the
 * word abbreviates.  Returns NULL and says why on stderr otherwise.
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

	valid_words(table, valid, sizeof(valid));
	if (valid[0] == '\0')
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

struct parse_result *
parse(int argc, char *argv[])
{
	const struct token	*table = t_main, *match;

	memset(&res, 0, sizeof(res));
	for (; argc > 0; argc--, argv++) {
		if ((match = match_token(argv[0], table)) == NULL)
			return NULL;
		if (match->value != NONE)
			res.action = match->value;
		table = match->next;
	}
	if (!may_end(table)) {
		char	 valid[256];

		valid_words(table, valid, sizeof(valid));
		warnx("missing argument: one of %s", valid);
		return NULL;
	}
	return &res;
}
