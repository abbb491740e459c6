/*
 * The firewall as wgctl doctor reads it: the rules nft lists (native
 * ones and those iptables-nft made) and those iptables-legacy-save
 * prints, in one model, and what they do to one new IPv4 flow.  Only
 * the matches that decide a WireGuard packet's fate are read
 * (interfaces, protocol, destination port, conntrack state, a local
 * destination); a rule with any other match may or may not apply, and
 * a verdict that depends on one is "unknown", never a guess.
 * Pure functions of the text, for the unit tests.
 */

#ifndef WGD_DOCTOR_FW_H
#define WGD_DOCTOR_FW_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

enum fw_hook {
	FW_HOOK_NONE,
	FW_HOOK_PREROUTING,	/* nat chains only: DNAT */
	FW_HOOK_INPUT,
	FW_HOOK_FORWARD
};

enum fw_verdict {
	FW_ACCEPT,
	FW_DROP,		/* drop or reject */
	FW_DNAT,
	FW_UNKNOWN
};

/* One new flow, as the hook sees it. */
struct fw_packet {
	enum fw_hook	 hook;
	char		 iif[IFNAMSIZ];	/* "": not known */
	char		 oif[IFNAMSIZ];	/* "": none (input) */
	int		 oif_known;
	int		 proto;		/* IPPROTO_UDP, _TCP; 0: any */
	uint16_t	 dport;		/* 0: any */
};

/* What decided, for the message. */
struct fw_result {
	enum fw_verdict	 verdict;
	int		 legacy;	/* the rule is iptables-legacy's */
	int		 policy;	/* a chain's policy, not a rule */
	int		 iptables;	/* the chain is iptables' (FORWARD) */
	char		 family[8];	/* ip, inet */
	char		 table[64];
	char		 chain[64];
	char		 to[64];	/* FW_DNAT: where */
	char		 unread[32];	/* FW_UNKNOWN: the match */
};

struct fw;

struct fw	*fw_new(void);
void		 fw_free(struct fw *);
/*
 * nft list ruleset; iptables-save's format, of iptables-legacy when
 * legacy is set (else iptables-nft-save's, where nft is missing).
 * 0, or -1 on no memory.
 */
int		 fw_parse_nft(struct fw *, const char *);
int		 fw_parse_iptables(struct fw *, const char *, int);
/* Whether a chain of that name exists (DOCKER-USER). */
int		 fw_has_chain(const struct fw *, const char *);
void		 fw_eval(const struct fw *, const struct fw_packet *,
		    struct fw_result *);

#endif /* WGD_DOCTOR_FW_H */
