/*
 * wgctl doctor's model of the firewall (wgd/doctor_fw.c) on any
 * listing.  The first byte says what the rest is, as doctor_firewall.c
 * reads it: nft's list ruleset, iptables-nft-save's or
 * iptables-legacy-save's output, or nft's then legacy's (split at the
 * first NUL).  The model then judges the packets doctor asks about,
 * and one whose fields come from that byte.
 */

#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doctor_fw.h"
#include "fuzz.h"

enum {
	MODE_NFT,
	MODE_IPT_NFT,
	MODE_IPT_LEGACY,
	MODE_NFT_LEGACY
};

static void
check(const struct fw *fw, enum fw_hook hook, const char *iif,
    const char *oif, int proto, uint16_t dport)
{
	struct fw_packet	 pkt;
	struct fw_result	 r;

	memset(&pkt, 0, sizeof(pkt));
	pkt.hook = hook;
	strlcpy(pkt.iif, iif, sizeof(pkt.iif));
	if (oif != NULL) {
		strlcpy(pkt.oif, oif, sizeof(pkt.oif));
		pkt.oif_known = 1;
	}
	pkt.proto = proto;
	pkt.dport = dport;
	fw_eval(fw, &pkt, &r);
	FUZZ_CHECK(r.verdict == FW_ACCEPT || r.verdict == FW_DROP ||
	    r.verdict == FW_DNAT || r.verdict == FW_UNKNOWN);
	FUZZ_CHECK(memchr(r.family, '\0', sizeof(r.family)) != NULL);
	FUZZ_CHECK(memchr(r.table, '\0', sizeof(r.table)) != NULL);
	FUZZ_CHECK(memchr(r.chain, '\0', sizeof(r.chain)) != NULL);
	FUZZ_CHECK(memchr(r.to, '\0', sizeof(r.to)) != NULL);
	FUZZ_CHECK(memchr(r.unread, '\0', sizeof(r.unread)) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const int	 protos[] = { 0, IPPROTO_UDP, IPPROTO_TCP, 1 };
	struct fw		*fw;
	char			*text, *second;
	uint8_t			 mode;

	if (len < 1)
		return 0;
	mode = data[0];
	/* The listing as the program's output arrives: text up to a NUL. */
	text = fuzz_strdup(data + 1, len - 1);
	if ((fw = fw_new()) == NULL)
		abort();
	switch (mode & 3) {
	case MODE_NFT:
		FUZZ_CHECK(fw_parse_nft(fw, text) == 0);
		break;
	case MODE_IPT_NFT:
	case MODE_IPT_LEGACY:
		FUZZ_CHECK(fw_parse_iptables(fw, text,
		    (mode & 3) == MODE_IPT_LEGACY) == 0);
		break;
	case MODE_NFT_LEGACY:
		/* The copy holds the NULs too, and one more at its end. */
		second = text + strlen(text);
		if ((size_t)(second - text) < len - 1)
			second++;
		FUZZ_CHECK(fw_parse_nft(fw, text) == 0);
		FUZZ_CHECK(fw_parse_iptables(fw, second, 1) == 0);
		break;
	}

	/* What doctor asks: DNAT of the port, input, forwarding. */
	check(fw, FW_HOOK_PREROUTING, "eth0", NULL, IPPROTO_UDP, 51820);
	check(fw, FW_HOOK_INPUT, "eth0", "", IPPROTO_UDP, 51820);
	check(fw, FW_HOOK_FORWARD, "wg0", "eth0", 0, 0);
	(void)fw_has_chain(fw, "DOCKER-USER");
	/* And a packet of the first byte's choosing. */
	check(fw, (enum fw_hook)(1 + (mode >> 2) % 3),
	    mode & 0x20 ? "wg0" : "", mode & 0x40 ? "docker0" : NULL,
	    protos[(mode >> 4) & 3], mode & 0x80 ? 53 : 51820);
	fw_free(fw);
	free(text);
	return 0;
}
