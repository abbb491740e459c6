/*
 * Reads nft's and iptables-save's listings into chains of rules, and
 * runs one packet through them as the kernel would: every base chain of
 * the hook in turn (a drop in any one drops), jumps and gotos followed,
 * a chain's policy at its end.  See doctor_fw.h for what is read.
 */

#include <sys/types.h>

#include <netinet/in.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor_fw.h"

#define FW_CONDS_MAX	8
#define FW_WORDS_MAX	64
#define FW_WORD_MAX	128
#define FW_DEPTH_MAX	16
/*
 * Rules looked at for one packet, at most.  Chains that jump to others
 * several times each, as deep as FW_DEPTH_MAX, would take exponential
 * time (three jumps a chain, 15 deep: 14 million rules); a big real
 * ruleset (a Kubernetes node's, thousands of services) takes some
 * ten thousand.
 */
#define FW_STEPS_MAX	100000
#define FW_MANAGED_MAX	16

enum cond_kind {
	C_IIF,
	C_OIF,
	C_PROTO,
	C_DPORT,
	C_CT,		/* lo: 1 when the states include new */
	C_LOCAL,	/* the destination is this host */
	C_PROTO_SET,	/* lo: 1 with udp in it, 2 with tcp */
	C_NEVER,	/* not for a UDP packet over IPv4 (icmp, ip6) */
	C_ALWAYS,
	C_UNKNOWN
};

struct cond {
	enum cond_kind	 kind;
	int		 neg;
	char		 name[IFNAMSIZ + 1];
	int		 proto;		/* C_PROTO, C_DPORT: 0 either */
	unsigned int	 lo, hi;
};

enum action {
	A_NONE,
	A_ACCEPT,
	A_DROP,
	A_RETURN,
	A_JUMP,
	A_GOTO,
	A_DNAT,
	A_UNKNOWN	/* a terminal verdict not read (queue) */
};

struct rule {
	struct cond	 conds[FW_CONDS_MAX];
	size_t		 nconds;
	enum action	 action;
	char		 target[64];
	char		 unread[32];	/* the first match not read */
};

struct chain {
	int		 legacy;
	int		 iptables_nft;	/* read from iptables-nft-save */
	char		 family[8];
	char		 table[64];
	char		 name[64];
	enum fw_hook	 hook;
	int		 nat;
	int		 filter;
	int		 policy_drop;
	struct rule	*rules;
	size_t		 nrules;
};

struct fw {
	struct chain	*chains;
	size_t		 nchains;
	/* "ip filter": tables nft says iptables-nft manages */
	char		 managed[FW_MANAGED_MAX][72];
	size_t		 nmanaged;
};

enum match {
	M_FALSE,
	M_TRUE,
	M_MAYBE
};

/* A verdict of a chain that ends without one. */
#define V_CONTINUE	(-1)

struct fw *
fw_new(void)
{
	return calloc(1, sizeof(struct fw));
}

void
fw_free(struct fw *fw)
{
	size_t	 i;

	if (fw == NULL)
		return;
	for (i = 0; i < fw->nchains; i++)
		free(fw->chains[i].rules);
	free(fw->chains);
	free(fw);
}

static struct chain *
chain_add(struct fw *fw, int legacy, const char *family, const char *table,
    const char *name)
{
	struct chain	*c;

	if ((c = reallocarray(fw->chains, fw->nchains + 1,
	    sizeof(*c))) == NULL)
		return NULL;
	fw->chains = c;
	c = &fw->chains[fw->nchains++];
	memset(c, 0, sizeof(*c));
	c->legacy = legacy;
	strlcpy(c->family, family, sizeof(c->family));
	strlcpy(c->table, table, sizeof(c->table));
	strlcpy(c->name, name, sizeof(c->name));
	return c;
}

static struct rule *
rule_add(struct chain *c)
{
	struct rule	*r;

	if ((r = reallocarray(c->rules, c->nrules + 1, sizeof(*r))) == NULL)
		return NULL;
	c->rules = r;
	r = &c->rules[c->nrules++];
	memset(r, 0, sizeof(*r));
	return r;
}

static struct cond *
cond_add(struct rule *r, enum cond_kind kind, int neg)
{
	struct cond	*c;

	/* More matches than kept: the rule may or may not apply. */
	if (r->nconds == FW_CONDS_MAX) {
		r->conds[FW_CONDS_MAX - 1].kind = C_UNKNOWN;
		return NULL;
	}
	c = &r->conds[r->nconds++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->neg = neg;
	return c;
}

/* A match not read, named by its first words for the message. */
static void
cond_unknown(struct rule *r, const char *w1, const char *w2)
{
	(void)cond_add(r, C_UNKNOWN, 0);
	if (r->unread[0] == '\0')
		snprintf(r->unread, sizeof(r->unread), "%s%s%s", w1,
		    w2 != NULL ? " " : "", w2 != NULL ? w2 : "");
}

/*
 * Splits a line into words: a quoted string is one word (quotes
 * dropped), and so is a set "{ a, b }" (kept with its braces).
 */
static size_t
split(const char *line, char words[][FW_WORD_MAX], size_t max)
{
	const char	*p = line, *end;
	size_t		 n = 0, len;
	int		 depth;

	while (n < max) {
		while (isspace((unsigned char)*p))
			p++;
		/* nft's "# progname firewalld", iptables-save's comments */
		if (*p == '\0' || *p == '#')
			break;
		if (*p == '"') {
			if ((end = strchr(p + 1, '"')) == NULL)
				end = p + strlen(p);
			len = (size_t)(end - p - 1);
			if (len >= FW_WORD_MAX)
				len = FW_WORD_MAX - 1;
			memcpy(words[n], p + 1, len);
			words[n][len] = '\0';
			/* A quoted "{" (a comment) opens no block. */
			if (words[n][0] == '{' || words[n][0] == '}')
				words[n][0] = '_';
			n++;
			p = *end == '"' ? end + 1 : end;
			continue;
		}
		if (*p == '{') {
			for (end = p, depth = 0; *end != '\0'; end++) {
				if (*end == '{')
					depth++;
				else if (*end == '}' && --depth == 0) {
					end++;
					break;
				}
			}
			/* Not closed on this line: a block opens. */
			if (depth > 0)
				end = p + 1;
		} else
			for (end = p; *end != '\0' &&
			    !isspace((unsigned char)*end); end++)
				;
		len = (size_t)(end - p);
		if (len >= FW_WORD_MAX)
			len = FW_WORD_MAX - 1;
		memcpy(words[n], p, len);
		words[n++][len] = '\0';
		p = end;
	}
	return n;
}

/*
 * The next line of *p into line; 0 at the end.  *cut says it did not
 * fit: a rule read in part may decide anything.
 */
static int
next_line(const char **p, char *line, size_t size, int *cut)
{
	const char	*nl;
	size_t		 len;

	if (**p == '\0')
		return 0;
	nl = strchr(*p, '\n');
	len = nl != NULL ? (size_t)(nl - *p) : strlen(*p);
	*cut = len >= size;
	memcpy(line, *p, *cut ? size - 1 : len);
	line[*cut ? size - 1 : len] = '\0';
	*p = nl != NULL ? nl + 1 : *p + len;
	return 1;
}

static int
proto_of(const char *w)
{
	if (strcmp(w, "udp") == 0 || strcmp(w, "17") == 0)
		return IPPROTO_UDP;
	if (strcmp(w, "tcp") == 0 || strcmp(w, "6") == 0)
		return IPPROTO_TCP;
	return -1;
}

/* "51820", "51820-51830" (nft) or "51820:51830" (iptables). */
static int
port_range(const char *w, unsigned int *lo, unsigned int *hi)
{
	char		*end;
	unsigned long	 a, b;

	a = strtoul(w, &end, 10);
	if (end == w || a > 65535)
		return -1;
	b = a;
	if (*end == '-' || *end == ':') {
		w = end + 1;
		b = strtoul(w, &end, 10);
		if (end == w || b > 65535 || b < a)
			return -1;
	}
	if (*end != '\0')
		return -1;
	*lo = (unsigned int)a;
	*hi = (unsigned int)b;
	return 0;
}

/* "established,related" or "{ established, related }": includes new? */
static int
states_have_new(const char *w)
{
	return strstr(w, "new") != NULL || strstr(w, "NEW") != NULL;
}

static void
cond_iface(struct rule *r, enum cond_kind kind, int neg, const char *w)
{
	struct cond	*c;

	if (w[0] == '{' || w[0] == '@') {
		cond_unknown(r, kind == C_IIF ? "iifname" : "oifname", "set");
		return;
	}
	if ((c = cond_add(r, kind, neg)) != NULL)
		strlcpy(c->name, w, sizeof(c->name));
}

static void
cond_dport(struct rule *r, int proto, int neg, const char *w)
{
	struct cond	*c;
	unsigned int	 lo, hi;

	if (port_range(w, &lo, &hi) == -1) {
		/* A set of ports is not read; its protocol still is. */
		if (proto != 0 && !neg &&
		    (c = cond_add(r, C_PROTO, 0)) != NULL)
			c->proto = proto;
		cond_unknown(r, "dport", w[0] == '{' || w[0] == '@' ? "set" :
		    w);
		return;
	}
	if ((c = cond_add(r, C_DPORT, neg)) != NULL) {
		c->proto = proto;
		c->lo = lo;
		c->hi = hi;
	}
}

static void
cond_proto(struct rule *r, int neg, const char *w)
{
	struct cond	*c;
	int		 p;

	if (w[0] == '{' && !neg) {
		/* { icmp, ipv6-icmp }: which of UDP and TCP it holds. */
		if ((c = cond_add(r, C_PROTO_SET, 0)) != NULL) {
			c->lo = (strstr(w, "udp") != NULL ? 1 : 0) |
			    (strstr(w, "tcp") != NULL ? 2 : 0);
		}
		return;
	}
	if ((p = proto_of(w)) == -1) {
		/* Another protocol: a WireGuard packet is not it. */
		if (w[0] != '{' && w[0] != '@' && !neg &&
		    (c = cond_add(r, C_PROTO, 0)) != NULL)
			c->proto = -1;
		else
			cond_unknown(r, "protocol", "set");
		return;
	}
	if ((c = cond_add(r, C_PROTO, neg)) != NULL)
		c->proto = p;
}

static void
cond_ct(struct rule *r, int neg, const char *w)
{
	struct cond	*c;

	if ((c = cond_add(r, C_CT, neg)) != NULL)
		c->lo = (unsigned int)states_have_new(w);
}

/* An optional "!=" or "==" after a selector of nft: the value's index. */
static size_t
nft_value(char words[][FW_WORD_MAX], size_t i, size_t n, int *neg)
{
	*neg = 0;
	if (i < n && strcmp(words[i], "!=") == 0) {
		*neg = 1;
		i++;
	} else if (i < n && strcmp(words[i], "==") == 0)
		i++;
	return i;
}

/* One rule line of nft's listing. */
static void
nft_rule(struct rule *r, char words[][FW_WORD_MAX], size_t n)
{
	struct cond	*c;
	size_t		 i = 0, v;
	int		 neg, proto;

	/* A verdict map may decide anything, whatever comes before it. */
	for (v = 0; v < n; v++)
		if (strcmp(words[v], "vmap") == 0) {
			r->action = A_UNKNOWN;
			strlcpy(r->unread, "vmap", sizeof(r->unread));
			return;
		}
	while (i < n && r->action == A_NONE) {
		const char	*w = words[i];

		if (strcmp(w, "iifname") == 0 || strcmp(w, "iif") == 0 ||
		    strcmp(w, "oifname") == 0 || strcmp(w, "oif") == 0) {
			v = nft_value(words, i + 1, n, &neg);
			if (v < n)
				cond_iface(r, w[0] == 'i' ? C_IIF : C_OIF, neg,
				    words[v]);
			i = v + 1;
		} else if (strcmp(w, "meta") == 0 && i + 1 < n) {
			if (strcmp(words[i + 1], "l4proto") == 0) {
				v = nft_value(words, i + 2, n, &neg);
				if (v < n)
					cond_proto(r, neg, words[v]);
			} else if (strcmp(words[i + 1], "iifname") == 0 ||
			    strcmp(words[i + 1], "oifname") == 0) {
				v = nft_value(words, i + 2, n, &neg);
				if (v < n)
					cond_iface(r, words[i + 1][0] == 'i' ?
					    C_IIF : C_OIF, neg, words[v]);
			} else if (strcmp(words[i + 1], "nfproto") == 0) {
				/* The packet is IPv4. */
				v = nft_value(words, i + 2, n, &neg);
				if (v < n && (c = cond_add(r, C_NEVER,
				    0)) != NULL)
					c->kind = (strstr(words[v], "ipv4") !=
					    NULL) != neg ? C_ALWAYS : C_NEVER;
			} else {
				v = nft_value(words, i + 2, n, &neg);
				cond_unknown(r, w, words[i + 1]);
			}
			i = v + 1;
		} else if (strcmp(w, "ip") == 0 && i + 1 < n &&
		    strcmp(words[i + 1], "protocol") == 0) {
			v = nft_value(words, i + 2, n, &neg);
			if (v < n)
				cond_proto(r, neg, words[v]);
			i = v + 1;
		} else if ((strcmp(w, "udp") == 0 || strcmp(w, "tcp") == 0 ||
		    strcmp(w, "th") == 0) && i + 1 < n) {
			proto = w[0] == 'u' ? IPPROTO_UDP : w[0] == 't' &&
			    w[1] == 'c' ? IPPROTO_TCP : 0;
			v = nft_value(words, i + 2, n, &neg);
			if (v < n && strcmp(words[i + 1], "dport") == 0)
				cond_dport(r, proto, neg, words[v]);
			else {
				if (proto != 0 && (c = cond_add(r, C_PROTO,
				    0)) != NULL)
					c->proto = proto;
				cond_unknown(r, w, words[i + 1]);
			}
			i = v + 1;
		} else if (strcmp(w, "icmp") == 0 || strcmp(w, "icmpv6") == 0 ||
		    strcmp(w, "ip6") == 0 || strcmp(w, "sctp") == 0 ||
		    strcmp(w, "igmp") == 0) {
			/* Not a UDP packet over IPv4: the rule cannot apply. */
			(void)cond_add(r, C_NEVER, 0);
			i = nft_value(words, i + 2, n, &neg) + 1;
		} else if (strcmp(w, "ct") == 0 && i + 1 < n) {
			v = nft_value(words, i + 2, n, &neg);
			if (v < n && strcmp(words[i + 1], "state") == 0)
				cond_ct(r, neg, words[v]);
			else if (v < n && strcmp(words[i + 1], "status") == 0 &&
			    strcmp(words[v], "dnat") == 0 && !neg)
				/* Ours is not: a DNAT of it is checked apart. */
				(void)cond_add(r, C_NEVER, 0);
			else
				cond_unknown(r, w, words[i + 1]);
			i = v + 1;
		} else if (strcmp(w, "fib") == 0) {
			/* fib daddr type local: to this host. */
			if (i + 3 < n && strcmp(words[i + 1], "daddr") == 0 &&
			    strcmp(words[i + 2], "type") == 0 &&
			    strcmp(words[i + 3], "local") == 0) {
				(void)cond_add(r, C_LOCAL, 0);
				i += 4;
			} else {
				cond_unknown(r, w, i + 1 < n ? words[i + 1] :
				    NULL);
				i++;
			}
		} else if (strcmp(w, "counter") == 0) {
			i++;
			if (i + 3 < n && strcmp(words[i], "packets") == 0)
				i += 4;
		} else if (strcmp(w, "comment") == 0) {
			i += 2;
		} else if (strcmp(w, "log") == 0) {
			for (i++; i + 1 < n && (strcmp(words[i], "prefix") == 0 ||
			    strcmp(words[i], "level") == 0 ||
			    strcmp(words[i], "group") == 0 ||
			    strcmp(words[i], "flags") == 0); i += 2)
				;
		} else if (strcmp(w, "accept") == 0) {
			r->action = A_ACCEPT;
		} else if (strcmp(w, "drop") == 0 || strcmp(w, "reject") == 0) {
			r->action = A_DROP;
		} else if (strcmp(w, "return") == 0) {
			r->action = A_RETURN;
		} else if ((strcmp(w, "jump") == 0 || strcmp(w, "goto") == 0) &&
		    i + 1 < n) {
			r->action = w[0] == 'j' ? A_JUMP : A_GOTO;
			strlcpy(r->target, words[i + 1], sizeof(r->target));
		} else if (strcmp(w, "dnat") == 0 || strcmp(w, "redirect") == 0) {
			r->action = A_DNAT;
			for (v = i + 1; v < n; v++)
				if (strcmp(words[v], "to") == 0 && v + 1 < n) {
					strlcpy(r->target, words[v + 1],
					    sizeof(r->target));
					break;
				}
			/* redirect to :PORT: this host, another port */
			if (w[0] == 'r' && r->target[0] == ':') {
				memmove(r->target + 9, r->target,
				    strnlen(r->target, sizeof(r->target) - 10)
				    + 1);
				r->target[sizeof(r->target) - 1] = '\0';
				memcpy(r->target, "this host", 9);
			}
		} else if (strcmp(w, "xt") == 0 && i + 2 < n) {
			/* What nft cannot translate of iptables-nft's. */
			if (strcmp(words[i + 1], "target") == 0 &&
			    strcmp(words[i + 2], "DNAT") == 0) {
				r->action = A_DNAT;
				strlcpy(r->target, "?", sizeof(r->target));
			} else if (strcmp(words[i + 1], "target") == 0)
				r->action = A_UNKNOWN;
			else
				cond_unknown(r, "xt match", words[i + 2]);
			i += 3;
		} else if (strcmp(w, "masquerade") == 0 ||
		    strcmp(w, "snat") == 0 || strcmp(w, "continue") == 0 ||
		    strcmp(w, "notrack") == 0) {
			/* Not a verdict on the packet's way in. */
			return;
		} else if (strcmp(w, "queue") == 0) {
			/* A verdict not read: the rule may decide anything. */
			r->action = A_UNKNOWN;
			if (r->unread[0] == '\0')
				strlcpy(r->unread, w, sizeof(r->unread));
		} else {
			/* "ip saddr", "meta mark": named by two words. */
			cond_unknown(r, w, i + 1 < n ? words[i + 1] : NULL);
			i++;
		}
	}
}

/* "type filter hook input priority filter; policy drop;" */
static void
nft_chain_head(struct chain *c, char words[][FW_WORD_MAX], size_t n)
{
	size_t	 i;
	char	*semi;

	for (i = 0; i < n; i++)
		if ((semi = strchr(words[i], ';')) != NULL)
			*semi = '\0';
	for (i = 0; i + 1 < n; i++) {
		if (strcmp(words[i], "type") == 0) {
			c->nat = strcmp(words[i + 1], "nat") == 0;
			c->filter = strcmp(words[i + 1], "filter") == 0;
		} else if (strcmp(words[i], "hook") == 0) {
			if (strcmp(words[i + 1], "prerouting") == 0)
				c->hook = FW_HOOK_PREROUTING;
			else if (strcmp(words[i + 1], "input") == 0)
				c->hook = FW_HOOK_INPUT;
			else if (strcmp(words[i + 1], "forward") == 0)
				c->hook = FW_HOOK_FORWARD;
		} else if (strcmp(words[i], "policy") == 0)
			c->policy_drop = strcmp(words[i + 1], "drop") == 0;
	}
}

int
fw_parse_nft(struct fw *fw, const char *text)
{
	char		 words[FW_WORDS_MAX][FW_WORD_MAX], line[4096];
	char		 family[8] = "", table[64] = "";
	const char	*p = text;
	struct chain	*c = NULL;
	struct rule	*r;
	size_t		 n, chain_idx = 0;
	int		 depth = 0, skip = 0, in_chain = 0, d, cut;

	while (next_line(&p, line, sizeof(line), &cut)) {
		if (sscanf(line, "# Warning: table %7s %63s is managed by "
		    "iptables-nft", family, table) == 2 &&
		    fw->nmanaged < FW_MANAGED_MAX)
			snprintf(fw->managed[fw->nmanaged++],
			    sizeof(fw->managed[0]), "%s %s", family, table);
		n = split(line, words, FW_WORDS_MAX);
		if (n == 0)
			continue;
		/* Braces that open or close a block (sets stay one word). */
		d = strcmp(words[n - 1], "{") == 0 ? 1 :
		    strcmp(words[0], "}") == 0 ? -1 : 0;
		if (skip > 0) {
			skip += d;
			depth += d;
			continue;
		}
		if (depth == 0 && d == 1 && n == 4 &&
		    strcmp(words[0], "table") == 0) {
			strlcpy(family, words[1], sizeof(family));
			strlcpy(table, words[2], sizeof(table));
		} else if (depth == 1 && d == 1 && n == 3 &&
		    strcmp(words[0], "chain") == 0) {
			if ((c = chain_add(fw, 0, family, table, words[1])) ==
			    NULL)
				return -1;
			chain_idx = fw->nchains - 1;
			in_chain = 1;
		} else if (depth == 1 && d == 1) {
			/* set, map, flowtable, ...: not rules */
			skip = 1;
		} else if (depth == 2 && in_chain && d == 0) {
			c = &fw->chains[chain_idx];
			if (strcmp(words[0], "type") == 0)
				nft_chain_head(c, words, n);
			else if (strcmp(words[0], "policy") == 0 ||
			    strcmp(words[0], "comment") == 0)
				nft_chain_head(c, words, n);
			else {
				if ((r = rule_add(c)) == NULL)
					return -1;
				nft_rule(r, words, n);
				if (cut || n == FW_WORDS_MAX) {
					r->action = A_UNKNOWN;
					strlcpy(r->unread, "a long rule",
					    sizeof(r->unread));
				}
			}
		}
		depth += d;
		if (depth < 2)
			in_chain = 0;
		if (depth < 0)
			depth = 0;
	}
	return 0;
}

/* The options of one -A line of iptables-save. */
static void
ipt_rule(struct rule *r, char words[][FW_WORD_MAX], size_t n)
{
	size_t	 i;
	int	 neg = 0, proto = 0;

	for (i = 0; i < n; i++) {
		const char	*w = words[i];
		const char	*v = i + 1 < n ? words[i + 1] : "";

		if (strcmp(w, "!") == 0) {
			neg = 1;
			continue;
		}
		if (strcmp(w, "-i") == 0 ||
		    strcmp(w, "--in-interface") == 0) {
			cond_iface(r, C_IIF, neg, v);
			i++;
		} else if (strcmp(w, "-o") == 0 ||
		    strcmp(w, "--out-interface") == 0) {
			cond_iface(r, C_OIF, neg, v);
			i++;
		}
		else if (strcmp(w, "-p") == 0 || strcmp(w, "--protocol") == 0) {
			cond_proto(r, neg, v);
			proto = proto_of(v) == -1 ? 0 : proto_of(v);
			i++;
		} else if (strcmp(w, "-m") == 0 || strcmp(w, "--match") == 0)
			i++;
		else if (strcmp(w, "--dport") == 0 ||
		    strcmp(w, "--destination-port") == 0) {
			cond_dport(r, proto, neg, v);
			i++;
		} else if (strcmp(w, "--ctstate") == 0 ||
		    strcmp(w, "--state") == 0) {
			cond_ct(r, neg, v);
			i++;
		} else if (strcmp(w, "--dst-type") == 0) {
			if (strcmp(v, "LOCAL") == 0 && !neg)
				(void)cond_add(r, C_LOCAL, 0);
			else
				cond_unknown(r, w, v);
			i++;
		} else if (strcmp(w, "--comment") == 0 ||
		    strcmp(w, "--reject-with") == 0 ||
		    strcmp(w, "--log-prefix") == 0 ||
		    strcmp(w, "--log-level") == 0)
			i++;
		else if (strcmp(w, "--to-destination") == 0 ||
		    strcmp(w, "--to-ports") == 0) {
			strlcpy(r->target, v, sizeof(r->target));
			i++;
		} else if (strcmp(w, "-j") == 0 || strcmp(w, "--jump") == 0 ||
		    strcmp(w, "-g") == 0 || strcmp(w, "--goto") == 0) {
			i++;
			if (strcmp(v, "ACCEPT") == 0)
				r->action = A_ACCEPT;
			else if (strcmp(v, "DROP") == 0 ||
			    strcmp(v, "REJECT") == 0)
				r->action = A_DROP;
			else if (strcmp(v, "RETURN") == 0)
				r->action = A_RETURN;
			else if (strcmp(v, "DNAT") == 0 ||
			    strcmp(v, "REDIRECT") == 0)
				r->action = A_DNAT;
			else if (strcmp(v, "LOG") == 0 ||
			    strcmp(v, "MASQUERADE") == 0 ||
			    strcmp(v, "SNAT") == 0 || strcmp(v, "MARK") == 0 ||
			    strcmp(v, "CONNMARK") == 0)
				r->action = A_NONE;
			else if (strcmp(v, "NFQUEUE") == 0 ||
			    strcmp(v, "QUEUE") == 0)
				r->action = A_UNKNOWN;
			else {
				r->action = w[1] == 'g' || w[2] == 'g' ?
				    A_GOTO : A_JUMP;
				strlcpy(r->target, v, sizeof(r->target));
			}
		} else if (w[0] == '-') {
			/* -s, -d, --sport and the rest: not read. */
			cond_unknown(r, w, NULL);
			if (v[0] != '-' && v[0] != '\0' && strcmp(v, "!") != 0)
				i++;
		}
		neg = 0;
	}
	if (r->action == A_DNAT && r->target[0] == '\0')
		strlcpy(r->target, "?", sizeof(r->target));
}

static enum fw_hook
ipt_hook(const char *table, const char *chain)
{
	if (strcmp(table, "nat") == 0 && strcmp(chain, "PREROUTING") == 0)
		return FW_HOOK_PREROUTING;
	if (strcmp(table, "filter") == 0 && strcmp(chain, "INPUT") == 0)
		return FW_HOOK_INPUT;
	if (strcmp(table, "filter") == 0 && strcmp(chain, "FORWARD") == 0)
		return FW_HOOK_FORWARD;
	return FW_HOOK_NONE;
}

static struct chain *
chain_find(const struct fw *fw, int legacy, const char *family,
    const char *table, const char *name)
{
	size_t	 i;

	for (i = 0; i < fw->nchains; i++)
		if (fw->chains[i].legacy == legacy &&
		    strcmp(fw->chains[i].family, family) == 0 &&
		    strcmp(fw->chains[i].table, table) == 0 &&
		    strcmp(fw->chains[i].name, name) == 0)
			return &fw->chains[i];
	return NULL;
}

int
fw_parse_iptables(struct fw *fw, const char *text, int legacy)
{
	char		 words[FW_WORDS_MAX][FW_WORD_MAX], line[4096];
	char		 table[64] = "", *sp;
	const char	*p = text;
	struct chain	*c;
	struct rule	*r;
	size_t		 n;
	int		 cut;

	while (next_line(&p, line, sizeof(line), &cut)) {
		if (line[0] == '*') {
			strlcpy(table, line + 1, sizeof(table));
		} else if (line[0] == ':') {
			/* :CHAIN POLICY [packets:bytes] */
			if ((sp = strchr(line, ' ')) == NULL)
				continue;
			*sp++ = '\0';
			if ((c = chain_add(fw, legacy, "ip", table,
			    line + 1)) == NULL)
				return -1;
			c->iptables_nft = !legacy;
			c->hook = ipt_hook(table, c->name);
			c->nat = strcmp(table, "nat") == 0;
			c->filter = strcmp(table, "filter") == 0;
			c->policy_drop = strncmp(sp, "DROP", 4) == 0;
		} else if (strncmp(line, "-A ", 3) == 0) {
			n = split(line + 3, words, FW_WORDS_MAX);
			if (n == 0 || (c = chain_find(fw, legacy, "ip", table,
			    words[0])) == NULL)
				continue;
			if ((r = rule_add(c)) == NULL)
				return -1;
			ipt_rule(r, words + 1, n - 1);
			if (cut || n == FW_WORDS_MAX) {
				r->action = A_UNKNOWN;
				strlcpy(r->unread, "a long rule",
				    sizeof(r->unread));
			}
		}
	}
	return 0;
}

int
fw_has_chain(const struct fw *fw, const char *name)
{
	size_t	 i;

	for (i = 0; i < fw->nchains; i++)
		if (strcmp(fw->chains[i].name, name) == 0)
			return 1;
	return 0;
}

/* iptables' "eth+" and nft's "eth*" name a prefix. */
static int
iface_matches(const char *pattern, const char *name)
{
	size_t	 len = strlen(pattern);

	if (len > 0 && (pattern[len - 1] == '+' || pattern[len - 1] == '*'))
		return strncmp(pattern, name, len - 1) == 0;
	return strcmp(pattern, name) == 0;
}

static enum match
cond_match(const struct cond *c, const struct fw_packet *pkt)
{
	enum match	 m;

	switch (c->kind) {
	case C_IIF:
		if (pkt->iif[0] == '\0')
			return M_MAYBE;
		m = iface_matches(c->name, pkt->iif) ? M_TRUE : M_FALSE;
		break;
	case C_OIF:
		if (!pkt->oif_known)
			return M_MAYBE;
		m = iface_matches(c->name, pkt->oif) ? M_TRUE : M_FALSE;
		break;
	case C_PROTO:
		if (c->proto == -1)
			return pkt->proto == 0 ? M_MAYBE : M_FALSE;
		if (pkt->proto == 0)
			return M_MAYBE;
		m = c->proto == pkt->proto ? M_TRUE : M_FALSE;
		break;
	case C_DPORT:
		if (pkt->proto == 0 || pkt->dport == 0)
			return M_MAYBE;
		if (c->proto != 0 && c->proto != pkt->proto)
			return M_FALSE;
		m = pkt->dport >= c->lo && pkt->dport <= c->hi ? M_TRUE :
		    M_FALSE;
		break;
	case C_CT:
		/* The packets that matter start a flow: state new. */
		m = c->lo ? M_TRUE : M_FALSE;
		break;
	case C_LOCAL:
		return pkt->hook == FW_HOOK_FORWARD ? M_FALSE : M_TRUE;
	case C_PROTO_SET:
		if (pkt->proto == 0)
			return M_MAYBE;
		return c->lo & (pkt->proto == IPPROTO_UDP ? 1 : 2) ? M_TRUE :
		    M_FALSE;
	case C_NEVER:
		return M_FALSE;
	case C_ALWAYS:
		return M_TRUE;
	default:
		return M_MAYBE;
	}
	if (c->neg)
		m = m == M_TRUE ? M_FALSE : M_TRUE;
	return m;
}

static enum match
rule_match(const struct rule *r, const struct fw_packet *pkt)
{
	enum match	 m = M_TRUE, cm;
	size_t		 i;

	for (i = 0; i < r->nconds; i++) {
		if ((cm = cond_match(&r->conds[i], pkt)) == M_FALSE)
			return M_FALSE;
		if (cm == M_MAYBE)
			m = M_MAYBE;
	}
	return m;
}

static int
ipt_builtin(const char *name)
{
	return strcmp(name, "INPUT") == 0 || strcmp(name, "FORWARD") == 0 ||
	    strcmp(name, "OUTPUT") == 0 || strcmp(name, "PREROUTING") == 0 ||
	    strcmp(name, "POSTROUTING") == 0;
}

static int
managed(const struct fw *fw, const struct chain *c)
{
	char	 name[72];
	size_t	 i;

	snprintf(name, sizeof(name), "%s %s", c->family, c->table);
	for (i = 0; i < fw->nmanaged; i++)
		if (strcmp(fw->managed[i], name) == 0)
			return 1;
	return 0;
}

static void
result_where(const struct fw *fw, struct fw_result *res,
    const struct chain *c, int policy)
{
	res->legacy = c->legacy;
	res->policy = policy;
	/*
	 * iptables' own: nft says so of some tables of iptables-nft (not
	 * of all), and its chains have iptables' names in ip filter or nat.
	 */
	res->iptables = c->legacy || c->iptables_nft || managed(fw, c) ||
	    (strcmp(c->family, "ip") == 0 && (strcmp(c->table, "filter") ==
	    0 || strcmp(c->table, "nat") == 0) && ipt_builtin(c->name));
	strlcpy(res->family, c->family, sizeof(res->family));
	strlcpy(res->table, c->table, sizeof(res->table));
	strlcpy(res->chain, c->name, sizeof(res->chain));
}

/*
 * A chain's verdict: an enum fw_verdict, or V_CONTINUE at its end.
 * *steps is how many more rules may be looked at for the packet.
 */
static int
eval_chain(const struct fw *fw, const struct chain *c,
    const struct fw_packet *pkt, int depth, size_t *steps,
    struct fw_result *res)
{
	const struct rule	*r;
	const struct chain	*to;
	enum match		 m;
	size_t			 i;
	int			 v;

	for (i = 0; i < c->nrules; i++) {
		if (*steps == 0) {
			result_where(fw, res, c, 0);
			strlcpy(res->unread, "too many jumps",
			    sizeof(res->unread));
			return FW_UNKNOWN;
		}
		(*steps)--;
		r = &c->rules[i];
		if (r->action == A_NONE ||
		    (m = rule_match(r, pkt)) == M_FALSE)
			continue;
		switch (r->action) {
		case A_ACCEPT:
			if (m == M_TRUE)
				return FW_ACCEPT;
			break;
		case A_DROP:
			if (m == M_TRUE) {
				result_where(fw, res, c, 0);
				return FW_DROP;
			}
			break;
		case A_RETURN:
			if (m == M_TRUE)
				return V_CONTINUE;
			break;
		case A_DNAT:
			if (m == M_TRUE) {
				result_where(fw, res, c, 0);
				strlcpy(res->to, r->target, sizeof(res->to));
				return FW_DNAT;
			}
			break;
		case A_JUMP:
		case A_GOTO:
			if (depth == FW_DEPTH_MAX || (to = chain_find(fw,
			    c->legacy, c->family, c->table, r->target)) ==
			    NULL)
				break;
			v = eval_chain(fw, to, pkt, depth + 1, steps, res);
			/* A jump comes back here, whether it was taken or not. */
			if (v == V_CONTINUE && r->action == A_JUMP)
				continue;
			/* A goto's chain ends this one too. */
			if (m == M_TRUE)
				return v;
			break;
		default:
			break;
		}
		/* Depends on what is not read: nothing sure from here. */
		result_where(fw, res, c, 0);
		strlcpy(res->unread, r->unread[0] != '\0' ? r->unread :
		    "a jump", sizeof(res->unread));
		return FW_UNKNOWN;
	}
	return V_CONTINUE;
}

/*
 * Every base chain of the hook, the input and forward ones of type
 * filter, the prerouting ones of type nat.  A drop anywhere decides;
 * then a DNAT; then not knowing.
 */
void
fw_eval(const struct fw *fw, const struct fw_packet *pkt,
    struct fw_result *res)
{
	struct fw_result	 r, unknown;
	const struct chain	*c;
	size_t			 i, steps = FW_STEPS_MAX;
	int			 v, have_unknown = 0, have_dnat = 0;

	memset(res, 0, sizeof(*res));
	res->verdict = FW_ACCEPT;
	for (i = 0; i < fw->nchains; i++) {
		c = &fw->chains[i];
		if (c->hook != pkt->hook ||
		    (strcmp(c->family, "ip") != 0 &&
		    strcmp(c->family, "inet") != 0) ||
		    (pkt->hook == FW_HOOK_PREROUTING ? !c->nat : !c->filter))
			continue;
		memset(&r, 0, sizeof(r));
		if ((v = eval_chain(fw, c, pkt, 0, &steps, &r)) ==
		    V_CONTINUE) {
			if (!c->policy_drop)
				continue;
			result_where(fw, &r, c, 1);
			v = FW_DROP;
		}
		r.verdict = (enum fw_verdict)v;
		if (v == FW_DROP) {
			*res = r;
			return;
		}
		if (v == FW_DNAT && !have_dnat) {
			*res = r;
			have_dnat = 1;
		} else if (v == FW_UNKNOWN && !have_unknown) {
			unknown = r;
			have_unknown = 1;
		}
	}
	if (!have_dnat && have_unknown)
		*res = unknown;
}
