/*
 * /etc/wgd.conf, in the shape of OpenBSD's parse.y grammars: newline
 * terminated statements, '#' comments, macros ($name, -D name=value),
 * include "file", quoted or bare strings and { a, b } lists.
 *
 * Every error is "file:line: message" naming the offending token, and
 * parsing goes on after one so a single run reports them all.  Relative
 * paths (include, key files) are taken from the directory of the file
 * they are written in.
 */

%{
#include <sys/queue.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define MAXPUSHBACK	4096
#define EFTYPE_NOT_REGULAR	EINVAL	/* Linux has no EFTYPE */
#define START_EXPAND	1	/* pushed around a macro's value */
#define DONE_EXPAND	2
#define MAXINCLUDE	16

static struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	char			*name;
	size_t			 ungetpos;
	unsigned char		 ungetbuf[MAXPUSHBACK];
	int			 eof_reached;
	int			 lineno;
	int			 depth;
} *file, *topfile;
static TAILQ_HEAD(files, file)	 files = TAILQ_HEAD_INITIALIZER(files);

static int		 expanding;	/* inside a macro's value */
static int		 pushback_full;	/* said once per file */
static int		 nincludes;	/* files included, in all */

#define MAXINCLUDES	64

static struct file	*pushfile(const char *, int);
static int		 popfile(void);
static int		 yyparse(void);
static int		 yylex(void);
static int		 yylex_buf(char *, size_t);
static int		 yyerror(const char *, ...)
			    __attribute__((__format__(printf, 1, 2)));
static int		 yywarn(const char *, ...)
			    __attribute__((__format__(printf, 1, 2)));
static int		 kw_cmp(const void *, const void *);
static int		 lookup(char *);
static int		 igetc(void);
static int		 lgetc(int);
static void		 lungetc(int);
static int		 findeol(void);
static char		*resolve_path(const char *, const char *);

struct sym {
	TAILQ_ENTRY(sym)	 entry;
	int			 used;
	int			 persist;	/* from -D: the file cannot change it */
	char			*nam;
	char			*val;
};
static TAILQ_HEAD(symhead, sym)	 symhead = TAILQ_HEAD_INITIALIZER(symhead);

static int		 symset(const char *, const char *, int);
static char		*symget(const char *);

static struct wgd_config	*conf;
static struct conf_msgs		*msgs;
static struct wgd_iface_conf	*iface;
static struct wgd_peer_conf	*peer;
static struct wgd_client_conf	*client;	/* the one clientopt sets */
static struct wgd_prefixes	 plist;
static int			 inline_keys;

/*
 * The last token read and the first one of its line, for "syntax error"
 * messages that name the culprit.  A bare word that is no keyword at the
 * start of a statement is an unknown keyword.
 */
static char		 lasttoken[64];
static int		 lasttoken_bare;
static char		 linefirst[64];
static int		 linefirst_bare;
static int		 at_line_start = 1;
static int		 lex_error;	/* yylex reported it: yacc need not */

static void		 where(struct conf_where *);
static void		 where_keep(struct conf_where *);
static void		 set_port(int64_t, uint16_t *, const char *);
static void		 set_keepalive(int64_t, uint16_t *);
static void		 set_key_inline(char *, uint8_t [WG_KEY_LEN],
			    const char *);
static void		 set_key_file(char *, uint8_t [WG_KEY_LEN], char *,
			    size_t);
static void		 set_host(char *, char *, size_t);
static void		 set_path(const char *, char *, char *, size_t);
static void		 check_sockets(void);
static int		 bare_padding(char *, char **, size_t);
static void		 list_add_prefix(char *);
static void		 list_add_address(char *);

/* What a "number" that was not one yields; its error is already out. */
#define BADNUMBER	INT64_MIN

typedef struct {
	union {
		int64_t		 number;
		char		*string;
	} v;
	int lineno;
} YYSTYPE;

%}

%token	ADDRESS ALLOWEDIPS AUTO CLIENT DISABLE DNS ENDPOINT FILE_ FORWARDTO
%token	INCLUDE INTERFACE
%token	LISTENPORT MASQUERADE MTU ON PEER PERSISTENTKEEPALIVE PORT PRESHAREDKEY
%token	PRIVATEKEY PUBLICKEY RESTRICTED SOCKET STATEDIR TUNNEL USER
%token	ENGINETHREADS
%token	ERROR
%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.number>	number
%type	<v.string>	varvalue

/* Strings dropped by error recovery are freed, not leaked. */
%destructor	{ free($$); } STRING varvalue

%%

/*
 * A statement with a bad value is reported and parsing goes on: only a
 * syntax error enters yacc's error recovery, which skips to the end of
 * the line.
 */
grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar interface '\n'
		| grammar error '\n'	{ yyerrok; }
		;

include		: INCLUDE STRING {
			struct file	*nfile;
			char		*path;

			if ((path = resolve_path("include", $2)) == NULL)
				;	/* said */
			else if (file->depth >= MAXINCLUDE)
				yyerror("include \"%s\": nested too deep", $2);
			else if (++nincludes > MAXINCLUDES)
				yyerror("include \"%s\": more than %d included "
				    "files", $2, MAXINCLUDES);
			else if ((nfile = pushfile(path, file->depth + 1)) ==
			    NULL)
				yyerror("include \"%s\": %s", $2,
				    errno == EFTYPE_NOT_REGULAR ?
				    "not a regular file" : strerror(errno));
			else {
				file = nfile;
				lungetc('\n');
			}
			free($2);
			free(path);
		}
		;

number		: NUMBER
		| STRING {
			yyerror("\"%s\" is not a number", $1);
			free($1);
			$$ = BADNUMBER;
		}
		;

varvalue	: STRING
		| NUMBER {
			if (asprintf(&$$, "%lld", (long long)$1) == -1)
				fatal("%s", __func__);
		}
		;

varset		: STRING '=' varvalue {
			const char	*s;

			for (s = $1; *s != '\0'; s++)
				if (!isalnum((unsigned char)*s) && *s != '_')
					break;
			if (*s != '\0')
				yyerror("macro name \"%s\" may hold only "
				    "letters, digits and _", $1);
			else if (symset($1, $3, 0) == -1)
				fatal("%s", __func__);
			free($1);
			free($3);
		}
		;

main		: USER STRING {
			if ($2[0] == '\0' || strlcpy(conf->user, $2,
			    sizeof(conf->user)) >= sizeof(conf->user))
				yyerror("user \"%s\": bad user name", $2);
			free($2);
		}
		| SOCKET STRING {
			set_path("socket", $2, conf->socket,
			    sizeof(conf->socket));
			check_sockets();
		}
		| SOCKET STRING RESTRICTED {
			set_path("socket", $2, conf->rsocket,
			    sizeof(conf->rsocket));
			check_sockets();
		}
		| STATEDIR STRING {
			set_path("state-dir", $2, conf->state_dir,
			    sizeof(conf->state_dir));
		}
		| ENGINETHREADS number {
			if ($2 == BADNUMBER)
				;	/* already reported */
			else if ($2 < 0 || $2 > WGD_THREADS_MAX)
				yyerror("engine-threads %lld is out of range "
				    "(0-%d)", (long long)$2, WGD_THREADS_MAX);
			else
				conf->engine_threads = (unsigned int)$2;
		}
		;

interface	: INTERFACE STRING {
			/* A bad name is reported; its block is still read. */
			if (!conf_valid_ifname($2))
				yyerror("interface \"%s\": bad interface name "
				    "(1-%d characters, no '/', ':' or space)",
				    $2, IFNAMSIZ - 1);
			if ((iface = config_iface_new(conf, $2)) == NULL)
				fatal("%s", __func__);
			/* Still on yacc's stack: error recovery frees it too. */
			free($2);
			$2 = NULL;
			where_keep(&iface->where);
		} '{' ifbody ifend {
			iface = NULL;
		}
		;

ifend		: '}'
		| ifopt '}'
		;

ifbody		: /* empty */
		| ifbody '\n'
		| ifbody ifopt '\n'
		| ifbody error '\n'	{ yyerrok; }
		;

ifopt		: PRIVATEKEY STRING {
			set_key_inline($2, iface->privkey, "private-key");
			iface->key_source = KEY_INLINE;
		}
		| PRIVATEKEY FILE_ STRING {
			set_key_file($3, iface->privkey, iface->key_file,
			    sizeof(iface->key_file));
			iface->key_source = KEY_FILE;
		}
		| LISTENPORT number {
			set_port($2, &iface->listen_port, "listen-port");
		}
		| ADDRESS prefixlist {
			char	 s[ADDR_STRLEN];
			size_t	 i;

			for (i = 0; i < plist.n; i++) {
				if (plist.v[i].plen ==
				    addr_maxlen(plist.v[i].af)) {
					addr_format(&plist.v[i], s, sizeof(s));
					yywarn("address %s has no subnet for "
					    "peers (%s/%d?)", s, s,
					    plist.v[i].af == AF_INET ? 24 : 64);
				}
				if (prefixes_add(&iface->addresses,
				    &plist.v[i]) == -1)
					fatal("%s", __func__);
			}
			prefixes_free(&plist);
		}
		| MTU number {
			if ($2 == BADNUMBER)
				;	/* already reported */
			else if ($2 < WGD_MTU_MIN || $2 > WGD_MTU_MAX)
				yyerror("mtu %lld is out of range (%d-%d)",
				    (long long)$2, WGD_MTU_MIN, WGD_MTU_MAX);
			else
				iface->mtu = (unsigned int)$2;
		}
		| MASQUERADE ON STRING {
			if (!conf_valid_ifname($3))
				yyerror("masquerade on \"%s\": bad interface "
				    "name", $3);
			else
				strlcpy(iface->masquerade, $3,
				    sizeof(iface->masquerade));
			free($3);
		}
		| CLIENT { client = &iface->client; } clientopt
		| peer
		;

/* An option of the interface's client configurations, or one peer's. */
clientopt	: ENDPOINT STRING {
			set_host($2, client->endpoint_host,
			    sizeof(client->endpoint_host));
			client->endpoint_port = 0;
			client->endpoint_set = 1;
		}
		| ENDPOINT STRING PORT number {
			set_host($2, client->endpoint_host,
			    sizeof(client->endpoint_host));
			set_port($4, &client->endpoint_port, "port");
			client->endpoint_set = 1;
		}
		| DNS AUTO {
			client->dns_auto = 1;
			client->dns_tunnel = 0;
			client->dns_set = 1;
			prefixes_free(&client->dns);
		}
		| DNS TUNNEL {
			client->dns_auto = 0;
			client->dns_tunnel = 1;
			client->dns_set = 1;
			prefixes_free(&client->dns);
		}
		| DNS addrlist {
			client->dns_auto = 0;
			client->dns_tunnel = 0;
			client->dns_set = 1;
			prefixes_free(&client->dns);
			client->dns = plist;
			memset(&plist, 0, sizeof(plist));
		}
		| ALLOWEDIPS prefixlist {
			prefixes_free(&client->allowed_ips);
			client->allowed_ips = plist;
			client->allowed_ips_set = 1;
			memset(&plist, 0, sizeof(plist));
		}
		| PERSISTENTKEEPALIVE number {
			set_keepalive($2, &client->keepalive);
			client->keepalive_set = 1;
		}
		;

peer		: PEER STRING {
			if (!conf_valid_peer_name($2))
				yyerror("peer \"%s\": bad name (1-%d "
				    "characters of A-Za-z0-9._-)", $2,
				    WGD_PEER_NAME_MAX);
			if ((peer = config_peer_new(iface, $2)) == NULL)
				fatal("%s", __func__);
			free($2);
			$2 = NULL;
			where_keep(&peer->where);
		} peerblock {
			if (peer->has_pubkey && peer->addresses.n > 0)
				yyerror("peer \"%s\": address is for managed "
				    "peers; give an external peer allowed-ips",
				    peer->name);
			if (!peer->has_pubkey && peer->psk_source != KEY_NONE)
				yyerror("peer \"%s\": preshared-key needs "
				    "public-key (a managed peer gets its own)",
				    peer->name);
			if (peer->has_pubkey && (peer->client.endpoint_set ||
			    peer->client.dns_set ||
			    peer->client.allowed_ips_set ||
			    peer->client.keepalive_set))
				yyerror("peer \"%s\": client options are for "
				    "managed peers (wgd writes no configuration "
				    "for a peer with its own public-key)",
				    peer->name);
			peer->managed = !peer->has_pubkey;
			peer = NULL;
		}
		;

peerblock	: /* empty */
		| '{' peerbody peerend
		;

peerend		: '}'
		| peeropt '}'
		;

peerbody	: /* empty */
		| peerbody '\n'
		| peerbody peeropt '\n'
		| peerbody error '\n'	{ yyerrok; }
		;

peeropt		: PUBLICKEY STRING {
			if (key_from_base64(peer->pubkey, $2) == -1)
				yyerror("public-key \"%s\": bad key (not 32 "
				    "bytes of base64)", $2);
			free($2);
			peer->has_pubkey = 1;
		}
		| PRESHAREDKEY STRING {
			set_key_inline($2, peer->psk, "preshared-key");
			peer->psk_source = KEY_INLINE;
		}
		| PRESHAREDKEY FILE_ STRING {
			set_key_file($3, peer->psk, peer->psk_file,
			    sizeof(peer->psk_file));
			peer->psk_source = KEY_FILE;
		}
		| ALLOWEDIPS prefixlist {
			size_t	 i;

			for (i = 0; i < plist.n; i++) {
				addr_mask(&plist.v[i]);
				if (prefixes_add(&peer->allowed_ips,
				    &plist.v[i]) == -1)
					fatal("%s", __func__);
			}
			prefixes_free(&plist);
		}
		| ADDRESS addrlist {
			size_t	 i;

			for (i = 0; i < plist.n; i++)
				if (prefixes_add(&peer->addresses,
				    &plist.v[i]) == -1)
					fatal("%s", __func__);
			prefixes_free(&plist);
		}
		| ENDPOINT STRING {
			set_host($2, peer->endpoint_host,
			    sizeof(peer->endpoint_host));
			peer->endpoint_port = WGD_PORT;
		}
		| ENDPOINT STRING PORT number {
			set_host($2, peer->endpoint_host,
			    sizeof(peer->endpoint_host));
			set_port($4, &peer->endpoint_port, "port");
		}
		| PERSISTENTKEEPALIVE number {
			set_keepalive($2, &peer->keepalive);
		}
		| CLIENT { client = &peer->client; } clientopt
		| DISABLE {
			peer->disabled = 1;
		}
		| FORWARDTO prefixlist {
			size_t	 i;

			for (i = 0; i < plist.n; i++) {
				addr_mask(&plist.v[i]);
				if (prefixes_add(&peer->forward_to,
				    &plist.v[i]) == -1)
					fatal("%s", __func__);
			}
			prefixes_free(&plist);
			peer->forward_to_set = 1;
		}
		;

prefixlist	: STRING			{ list_add_prefix($1); }
		| '{' optnl prefixes optnl '}'
		;

prefixes	: STRING			{ list_add_prefix($1); }
		| prefixes comma STRING		{ list_add_prefix($3); }
		;

addrlist	: STRING			{ list_add_address($1); }
		| '{' optnl addresses optnl '}'
		;

addresses	: STRING			{ list_add_address($1); }
		| addresses comma STRING	{ list_add_address($3); }
		;

comma		: ',' optnl
		;

optnl		: /* empty */
		| optnl '\n'
		;

%%

struct keywords {
	const char	*k_name;
	int		 k_val;
};

static void
msgv(int warning, const char *fmt, va_list ap)
{
	struct conf_where	 w;
	char			*text;

	where(&w);
	if (vasprintf(&text, fmt, ap) == -1)
		text = NULL;
	conf_msg(msgs, warning, &w, "%s", text != NULL ? text :
	    "out of memory");
	free(text);
}

/* A token that may be a secret is never quoted in a message. */
static int
looks_like_key(const char *s)
{
	size_t	 len = strlen(s);

	return len >= 40 && len <= 48 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/=") == len;
}

static int
yyerror(const char *fmt, ...)
{
	va_list	 ap;

	/* yacc's own complaint: say which token it tripped over. */
	if (strcmp(fmt, "syntax error") == 0) {
		struct conf_where	 w;

		if (lex_error)
			return 0;
		where(&w);
		if (looks_like_key(linefirst) || looks_like_key(lasttoken))
			conf_msg(msgs, 0, &w, "syntax error near a key");
		else if (linefirst_bare)
			conf_msg(msgs, 0, &w, "unknown keyword \"%s\"",
			    linefirst);
		else if (strcmp(lasttoken, "\n") == 0)
			conf_msg(msgs, 0, &w, "syntax error at end of line");
		else
			conf_msg(msgs, 0, &w, "syntax error near \"%s\"",
			    lasttoken);
		return 0;
	}
	va_start(ap, fmt);
	msgv(0, fmt, ap);
	va_end(ap);
	return 0;
}

static int
yywarn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	msgv(1, fmt, ap);
	va_end(ap);
	return 0;
}

/* The current position; the caller does not own the file name. */
static void
where(struct conf_where *w)
{
	w->file = file->name;
	w->line = yylval.lineno;
}

/* The same, for a config struct that outlives the parse. */
static void
where_keep(struct conf_where *w)
{
	where(w);
	if ((w->file = strdup(w->file)) == NULL)
		fatal("%s", __func__);
}

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keywords *)e)->k_name);
}

static int
lookup(char *s)
{
	/* Sorted: bsearch(3) looks these up. */
	static const struct keywords keywords[] = {
		{ "address",		ADDRESS },
		{ "allowed-ips",	ALLOWEDIPS },
		{ "auto",		AUTO },
		{ "client",		CLIENT },
		{ "disable",		DISABLE },
		{ "dns",		DNS },
		{ "endpoint",		ENDPOINT },
		{ "engine-threads",	ENGINETHREADS },
		{ "file",		FILE_ },
		{ "forward-to",		FORWARDTO },
		{ "include",		INCLUDE },
		{ "interface",		INTERFACE },
		{ "listen-port",	LISTENPORT },
		{ "masquerade",		MASQUERADE },
		{ "mtu",		MTU },
		{ "on",			ON },
		{ "peer",		PEER },
		{ "persistent-keepalive", PERSISTENTKEEPALIVE },
		{ "port",		PORT },
		{ "preshared-key",	PRESHAREDKEY },
		{ "private-key",	PRIVATEKEY },
		{ "public-key",		PUBLICKEY },
		{ "restricted",		RESTRICTED },
		{ "socket",		SOCKET },
		{ "state-dir",		STATEDIR },
		{ "tunnel",		TUNNEL },
		{ "user",		USER },
	};
	const struct keywords	*p;

	p = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	return p != NULL ? p->k_val : STRING;
}

/* One character from the file or the pushback buffer; EOF at the end. */
static int
igetc(void)
{
	int	 c;

	for (;;) {
		if (file->ungetpos > 0) {
			/* Only pushback holds the markers, never the file. */
			c = file->ungetbuf[--file->ungetpos];
			if (c == START_EXPAND)
				expanding = 1;
			else if (c == DONE_EXPAND)
				expanding = 0;
			else
				return c;
			continue;
		}
		c = getc(file->stream);
		if (c == EOF && file->eof_reached == 0) {
			/* An unterminated last line ends with one anyway. */
			file->eof_reached = 1;
			return '\n';
		}
		return c;
	}
}

/*
 * Next character, with backslash-newline joined and, outside quotes,
 * the end of an included file continuing the file that included it.
 */
static int
lgetc(int quotec)
{
	int	 c, next;

	if (quotec) {
		if ((c = igetc()) == EOF) {
			yyerror("reached end of file inside a quoted string");
			if (file == topfile || popfile() == EOF)
				return EOF;
			return quotec;
		}
		return c;
	}

	while ((c = igetc()) == '\\') {
		next = igetc();
		if (next != '\n') {
			c = next;
			break;
		}
		yylval.lineno = file->lineno;
		file->lineno++;
	}

	if (c == '\t' || c == ' ') {
		/* Runs of blanks collapse to one. */
		do {
			c = igetc();
		} while (c == '\t' || c == ' ');
		lungetc(c);
		c = ' ';
	}

	if (c == EOF) {
		/* EOF of an included file: back to the includer. */
		if (file == topfile || popfile() == EOF)
			return EOF;
		c = lgetc(0);
	}
	return c;
}

static void
lungetc(int c)
{
	if (c == EOF)
		return;
	if (file->ungetpos >= MAXPUSHBACK) {
		if (!pushback_full)
			yyerror("line too long to read back");
		pushback_full = 1;
		return;
	}
	file->ungetbuf[file->ungetpos++] = (unsigned char)c;
}

/* Skips to the end of the line after an error. */
static int
findeol(void)
{
	int	 c;

	for (;;) {
		c = lgetc(0);
		if (c == '\n') {
			file->lineno++;
			break;
		}
		if (c == EOF)
			break;
	}
	lex_error = 1;
	return ERROR;
}

/* Characters a bare word may hold: addresses, prefixes, names, paths. */
static int
allowed_in_string(int c)
{
	if (isalnum(c))
		return 1;
	switch (c) {
	case '-': case '_': case '.': case '/': case ':': case '@':
	case '+': case '%': case '*': case '[': case ']': case '~':
	case '^': case '&': case '?': case ';':
		return 1;
	}
	return 0;
}

/*
 * A bare word may end in '=' padding, so a base64 key in a macro reads
 * back as one word: "name = value" and "name=value" still split, as the
 * '=' there is followed by more text.  Returns the character after.
 */
static int
bare_padding(char *buf, char **pp, size_t len)
{
	int	 c, n = 1;

	while ((c = lgetc(0)) == '=')
		n++;
	if (c == EOF || c == ' ' || c == '\n' || c == '}' || c == ',' ||
	    c == '#') {
		if ((size_t)(*pp - buf) + n < len)
			while (n-- > 0)
				*(*pp)++ = '=';
		return c;
	}
	lungetc(c);
	while (--n > 0)
		lungetc('=');
	return '=';
}

static void
set_lasttoken(const char *s, int bare)
{
	/* A shorter token must not leave the tail of a key behind. */
	explicit_bzero(lasttoken, sizeof(lasttoken));
	strlcpy(lasttoken, s, sizeof(lasttoken));
	lasttoken_bare = bare;
	if (at_line_start) {
		explicit_bzero(linefirst, sizeof(linefirst));
		strlcpy(linefirst, s, sizeof(linefirst));
		linefirst_bare = bare;
	}
	at_line_start = strcmp(s, "\n") == 0;
}

/* The token buffer may have held a key: wipe it after each token. */
static int
yylex(void)
{
	char	 buf[8096];
	int	 token;

	token = yylex_buf(buf, sizeof(buf));
	explicit_bzero(buf, sizeof(buf));
	return token;
}

static int
yylex_buf(char *buf, size_t buflen)
{
	char		*p, *val;
	int		 quotec, next, c, token;
	const char	*errstr;

	lex_error = 0;
top:
	p = buf;
	while ((c = lgetc(0)) == ' ')
		;	/* nothing */

	yylval.lineno = file->lineno;
	if (c == '#')
		while ((c = lgetc(0)) != '\n' && c != EOF)
			;	/* nothing */
	if (c == '$' && !expanding) {
		while (1) {
			if ((c = lgetc(0)) == EOF)
				return 0;
			if (p + 1 >= buf + buflen - 1) {
				yyerror("macro name too long");
				return findeol();
			}
			if (isalnum(c) || c == '_') {
				*p++ = (char)c;
				continue;
			}
			*p = '\0';
			lungetc(c);
			break;
		}
		val = symget(buf);
		if (val == NULL) {
			yyerror("macro \"%s\" is not defined", buf);
			return findeol();
		}
		/*
		 * Read the value again as input, pushed back from its end.
		 * No macro expands inside another: a macro naming itself
		 * cannot loop.
		 */
		if (strlen(val) + 4 > MAXPUSHBACK - file->ungetpos) {
			yyerror("macro \"%s\" is too long", buf);
			return findeol();
		}
		lungetc(DONE_EXPAND);
		lungetc(' ');
		for (p = val + strlen(val); p > val; )
			lungetc((unsigned char)*--p);
		lungetc(' ');
		lungetc(START_EXPAND);
		goto top;
	}

	if (c == '\0') {
		yyerror("NUL byte in the file");
		return findeol();
	}

	switch (c) {
	case '\'':
	case '"':
		quotec = c;
		while (1) {
			if ((c = lgetc(quotec)) == EOF)
				return 0;
			if (c == '\n') {
				file->lineno++;
				yyerror("newline inside a quoted string");
				return findeol();
			}
			if (c == '\\') {
				if ((next = lgetc(quotec)) == EOF)
					return 0;
				if (next == quotec || next == '\\')
					c = next;
				else if (next == '\n') {
					file->lineno++;
					continue;
				} else
					lungetc(next);
			} else if (c == quotec) {
				*p = '\0';
				break;
			} else if (c == '\0') {
				yyerror("NUL byte inside a quoted string");
				return findeol();
			}
			if (p + 1 >= buf + buflen - 1) {
				yyerror("string too long");
				return findeol();
			}
			*p++ = (char)c;
		}
		if ((yylval.v.string = strdup(buf)) == NULL) {
			yyerror("out of memory");
			return findeol();
		}
		set_lasttoken(buf, 0);
		return STRING;
	}

	if (isdigit(c)) {
		do {
			*p++ = (char)c;
			if ((size_t)(p - buf) >= buflen) {
				yyerror("string too long");
				return findeol();
			}
		} while ((c = lgetc(0)) != EOF && isdigit(c));
		lungetc(c);
		if (c == EOF || !allowed_in_string(c)) {
			*p = '\0';
			set_lasttoken(buf, 0);
			yylval.v.number = strtonum(buf, 0, INT32_MAX, &errstr);
			if (errstr != NULL) {
				yyerror("number %s is %s", buf, errstr);
				return findeol();
			}
			return NUMBER;
		}
		while (p > buf + 1)
			lungetc((unsigned char)*--p);
		c = (unsigned char)*--p;
	}

	if (allowed_in_string(c)) {
		do {
			*p++ = (char)c;
			if ((size_t)(p - buf) >= buflen) {
				yyerror("string too long");
				return findeol();
			}
		} while ((c = lgetc(0)) != EOF && allowed_in_string(c));
		if (c == '=')
			c = bare_padding(buf, &p, buflen);
		lungetc(c);
		*p = '\0';
		if ((token = lookup(buf)) == STRING) {
			if ((yylval.v.string = strdup(buf)) == NULL) {
				yyerror("out of memory");
				return findeol();
			}
			set_lasttoken(buf, 1);
		} else
			set_lasttoken(buf, 0);
		return token;
	}
	if (c == '\n') {
		yylval.lineno = file->lineno;
		file->lineno++;
		set_lasttoken("\n", 0);
	} else {
		char	 s[2] = { (char)c, '\0' };

		set_lasttoken(c == EOF ? "end of file" : s, 0);
	}
	if (c == EOF)
		return 0;
	return c;
}

/*
 * Relative to the directory of the file being read.  NULL for an empty
 * path, an error said here: "include" or "key file" is what it is for.
 */
static char *
resolve_path(const char *what, const char *path)
{
	char	*dir, *copy, *res;

	if (path[0] == '\0') {
		yyerror("%s \"\": empty path", what);
		return NULL;
	}
	if (path[0] == '/' || file == NULL)
		res = strdup(path);
	else {
		if ((copy = strdup(file->name)) == NULL)
			fatal("%s", __func__);
		dir = dirname(copy);
		if (strcmp(dir, ".") == 0)
			res = strdup(path);
		else if (asprintf(&res, "%s/%s", dir, path) == -1)
			res = NULL;
		free(copy);
	}
	if (res == NULL)
		fatal("%s", __func__);
	return res;
}

/*
 * Opens a configuration file for reading.  Without O_NONBLOCK a FIFO
 * would hang the parent in open(); anything but a regular file is
 * refused (EINVAL reads "Invalid argument": say what it means).
 */
static FILE *
open_regular(const char *name)
{
	struct stat	 st;
	FILE		*fp;
	int		 fd, saved;

	if ((fd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EFTYPE_NOT_REGULAR;
		goto fail;
	}
	if (fcntl(fd, F_SETFL, 0) == -1 || (fp = fdopen(fd, "r")) == NULL)
		goto fail;
	return fp;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return NULL;
}

static struct file *
pushfile(const char *name, int depth)
{
	struct file	*nfile;

	if ((nfile = calloc(1, sizeof(*nfile))) == NULL)
		return NULL;
	if ((nfile->name = strdup(name)) == NULL) {
		free(nfile);
		return NULL;
	}
	if ((nfile->stream = open_regular(nfile->name)) == NULL) {
		int	 saved = errno;

		free(nfile->name);
		free(nfile);
		errno = saved;
		return NULL;
	}
	/* An included file starts with the '\n' its include pushed back. */
	nfile->lineno = depth == 0 ? 1 : 0;
	nfile->depth = depth;
	TAILQ_INSERT_TAIL(&files, nfile, entry);
	return nfile;
}

static int
popfile(void)
{
	struct file	*prev;

	prev = TAILQ_PREV(file, files, entry);
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	/* Messages point at the name: keep it until parse_config ends. */
	file->stream = NULL;
	TAILQ_INSERT_HEAD(&files, file, entry);
	if (prev == NULL) {
		file = NULL;
		return EOF;
	}
	file = prev;
	return 0;
}

/* Warns once about a file holding a secret that others may read. */
static void
check_inline_secret(const char *what)
{
	struct stat	 st;

	if (inline_keys++ > 0)
		return;
	if (fstat(fileno(file->stream), &st) == 0 && (st.st_mode & S_IROTH))
		yywarn("%s written inline in a file others can read", what);
}

static void
set_key_inline(char *b64, uint8_t key[WG_KEY_LEN], const char *what)
{
	/* Never echo a secret, even a malformed one, into a log. */
	if (key_from_base64(key, b64) == -1)
		yyerror("%s: bad key (not 32 bytes of base64)", what);
	else
		check_inline_secret(what);
	explicit_bzero(b64, strlen(b64));
	free(b64);
}

static void
set_key_file(char *name, uint8_t key[WG_KEY_LEN], char *path, size_t len)
{
	char	 err[PATH_MAX + 128];
	char	*full;

	if ((full = resolve_path("key file", name)) == NULL)
		;	/* said */
	else if (strlcpy(path, full, len) >= len)
		yyerror("key file \"%s\": path too long", name);
	else if (conf_read_key_file(full, key, err, sizeof(err)) == -1)
		yyerror("%s", err);
	free(full);
	free(name);
}

static void
set_path(const char *what, char *path, char *dst, size_t len)
{
	if (path[0] != '/')
		yyerror("%s \"%s\": not an absolute path", what, path);
	else if (strlcpy(dst, path, len) >= len)
		yyerror("%s \"%s\": path too long (at most %zu)", what, path,
		    len - 1);
	free(path);
}

static void
check_sockets(void)
{
	if (conf->rsocket[0] != '\0' &&
	    strcmp(conf->socket, conf->rsocket) == 0)
		yyerror("the restricted socket and the control socket are "
		    "both \"%s\"", conf->socket);
}

static void
set_port(int64_t n, uint16_t *port, const char *what)
{
	if (n == BADNUMBER)
		return;
	if (n < 1 || n > 65535)
		yyerror("%s %lld is out of range (1-65535)", what,
		    (long long)n);
	else
		*port = (uint16_t)n;
}

static void
set_keepalive(int64_t n, uint16_t *keepalive)
{
	if (n == BADNUMBER)
		return;
	if (n < 0 || n > 65535)
		yyerror("persistent-keepalive %lld is out of range (0-65535 "
		    "seconds)", (long long)n);
	else
		*keepalive = (uint16_t)n;
}

/* A host name or address literal for an endpoint. */
static void
set_host(char *host, char *dst, size_t len)
{
	size_t	 i, n = strlen(host);
	int	 ok = n > 0 && n < len;

	for (i = 0; ok && i < n; i++)
		if (!isalnum((unsigned char)host[i]) && host[i] != '.' &&
		    host[i] != '-' && host[i] != ':' && host[i] != '_')
			ok = 0;
	if (!ok)
		yyerror("endpoint \"%s\": bad host name or address", host);
	else
		strlcpy(dst, host, len);
	free(host);
}

static void
list_add_prefix(char *s)
{
	struct wgd_prefix	 p;

	if (addr_parse_prefix(s, &p) == -1)
		yyerror("bad prefix \"%s\"", s);
	else if (prefixes_add(&plist, &p) == -1)
		fatal("%s", __func__);
	free(s);
}

static void
list_add_address(char *s)
{
	struct wgd_prefix	 p;

	if (addr_parse(s, &p) == -1)
		yyerror("bad address \"%s\"%s", s, strchr(s, '/') != NULL ?
		    " (one address, without /length)" : "");
	else if (prefixes_add(&plist, &p) == -1)
		fatal("%s", __func__);
	free(s);
}

/*
 * Parses filename into a new configuration.  Errors and warnings go to
 * msgs as "file:line: message"; on any error the result is NULL.  Macros
 * set with cmdline_symset() stay defined across calls.
 */
struct wgd_config *
parse_config(const char *filename, struct conf_msgs *m)
{
	struct sym	*sym, *next;
	struct file	*f;
	int		 errors;

	msgs = m;
	if ((conf = config_new()) == NULL)
		return NULL;
	iface = NULL;
	peer = NULL;
	inline_keys = 0;
	memset(&plist, 0, sizeof(plist));

	if ((file = pushfile(filename, 0)) == NULL) {
		struct conf_where w = { (char *)filename, 0 };

		conf_msg(msgs, 0, &w, "%s", strerror(errno));
		config_free(conf);
		return NULL;
	}
	topfile = file;
	yylval.lineno = 1;
	at_line_start = 1;
	linefirst_bare = 0;
	expanding = 0;
	pushback_full = 0;
	nincludes = 0;

	yyparse();
	prefixes_free(&plist);

	/* Macros from the file are forgotten; -D ones stay. */
	for (sym = TAILQ_FIRST(&symhead); sym != NULL; sym = next) {
		next = TAILQ_NEXT(sym, entry);
		if (sym->persist)
			continue;
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->nam);
		explicit_bzero(sym->val, strlen(sym->val));
		free(sym->val);
		free(sym);
	}

	/* Checks of the whole file run even after errors: report all. */
	config_defaults(conf);
	(void)config_check(conf, msgs);

	/* The messages hold pointers to the names of the files. */
	errors = conf_msgs_errors(msgs);
	while ((f = TAILQ_FIRST(&files)) != NULL) {
		TAILQ_REMOVE(&files, f, entry);
		if (f->stream != NULL)
			fclose(f->stream);
		free(f->name);
		free(f);
	}
	file = topfile = NULL;

	if (errors > 0) {
		config_free(conf);
		conf = NULL;
	}
	return conf;
}

static int
symset(const char *nam, const char *val, int persist)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry) {
		if (strcmp(nam, sym->nam) == 0)
			break;
	}
	if (sym != NULL) {
		if (sym->persist)
			return 0;
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->nam);
		explicit_bzero(sym->val, strlen(sym->val));
		free(sym->val);
		free(sym);
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL)
		return -1;
	sym->nam = strdup(nam);
	sym->val = strdup(val);
	if (sym->nam == NULL || sym->val == NULL) {
		free(sym->nam);
		free(sym->val);
		free(sym);
		return -1;
	}
	sym->persist = persist;
	TAILQ_INSERT_TAIL(&symhead, sym, entry);
	return 0;
}

/* -D name=value: wins over the same macro set in the file. */
int
cmdline_symset(const char *s)
{
	char		*nam;
	const char	*val, *c;
	int		 rv;

	if ((val = strchr(s, '=')) == NULL || val == s)
		return -1;
	for (c = s; c < val; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return -1;
	if ((nam = strndup(s, val - s)) == NULL)
		return -1;
	rv = symset(nam, val + 1, 1);
	free(nam);
	return rv;
}

static char *
symget(const char *nam)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry) {
		if (strcmp(nam, sym->nam) == 0) {
			sym->used = 1;
			return sym->val;
		}
	}
	return NULL;
}
