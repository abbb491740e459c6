/*
 * TUN offload: the virtio_net_hdr that an IFF_VNET_HDR device puts
 * before every packet, the segmentation of the super-packets it reads
 * (TSO and USO: up to 64 KiB of one TCP or UDP flow, split here into
 * MTU-sized packets with correct headers and checksums), the checksums
 * it leaves partial, and the coalescing of received TCP segments (and
 * UDP datagrams, where the device takes USO) back into super-packets
 * (GRO) before they are written.
 *
 * Pure functions over buffers: no I/O, no state between calls.  Every
 * length and header field is checked before use; a packet that does not
 * add up is refused (-1, and the caller counts the drop).
 */

#ifndef WGD_VNET_H
#define WGD_VNET_H

#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

/* Debian 12's headers predate UDP segmentation offload (Linux 6.2). */
#define VNET_GSO_NONE		0
#define VNET_GSO_TCPV4		1
#define VNET_GSO_TCPV6		4
#define VNET_GSO_UDP_L4		5
#define VNET_GSO_ECN		0x80
#define VNET_F_NEEDS_CSUM	1

#define VNET_HDR_LEN		10
#define VNET_MAX_PACKET		65535	/* an IP packet, header included */
#define VNET_MAX_SEGMENTS	128	/* more from one read are refused */

/* In host byte order, as the legacy virtio header of TUN has them. */
struct vnet_hdr {
	uint8_t		 flags;
	uint8_t		 gso_type;
	uint16_t	 hdr_len;
	uint16_t	 gso_size;
	uint16_t	 csum_start;
	uint16_t	 csum_offset;
};

void	vnet_hdr_decode(struct vnet_hdr *, const uint8_t *);
void	vnet_hdr_encode(const struct vnet_hdr *, uint8_t *);

/* A packet in a buffer of the caller's. */
struct vnet_pkt {
	uint8_t		*data;
	size_t		 len;
};

int	vnet_finish_csum(uint8_t *, size_t, const struct vnet_hdr *);
int	vnet_split(const struct vnet_hdr *, const uint8_t *, size_t,
	    uint8_t *, size_t, size_t, size_t, struct vnet_pkt *, size_t);

/*
 * Coalescing: packets in, writes out.  Each packet has VNET_HDR_LEN
 * writable bytes before data, where its write's header goes.
 */

#define VNET_GRO_MAX_IOV	(VNET_MAX_SEGMENTS + 1)

struct vnet_write {
	struct iovec	 iov[VNET_GRO_MAX_IOV];
	int		 iovcnt;
};

size_t	vnet_gro(struct vnet_pkt *, size_t, int, struct vnet_write *);

/* Internet checksums, exposed for the tests and the data path. */
uint64_t vnet_csum_add(uint64_t, const uint8_t *, size_t);
uint16_t vnet_csum_fold(uint64_t);
uint64_t vnet_pseudo_sum(const uint8_t *, int, uint8_t, size_t);

#endif /* WGD_VNET_H */
