/*
 * The engine's crypto workers: the event-loop thread gathers a batch of
 * transport-data packets (the segments of the super-packets it read from
 * TUN, or the datagrams of one recvmmsg), with everything that must be
 * in order already decided on its own thread (send counters, receiver
 * indexes, keypairs); the workers and the loop thread seal or open the
 * batch together; the loop thread waits until every packet is done and
 * then does the I/O and the protocol's bookkeeping in the batch's order.
 *
 * So a peer's packets leave and arrive in order, nonces are unique
 * (counted by one thread), and a keypair needs no lock: only the loop
 * thread frees one, never while a batch it is in runs.  Between batches
 * the workers sleep; a batch too small to share runs on the loop thread
 * alone.  A job touches only its own packet and writes only its result.
 */

#ifndef WGD_WORKERS_H
#define WGD_WORKERS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The one-pass seal and open of aead.h: data and out need its room
 * around them, which only this job touches during the batch.
 */
struct crypt_job {
	const uint8_t	*key;		/* 32 bytes, read-only for the batch */
	uint64_t	 counter;
	uint8_t		*data;		/* sealed in place, or to open */
	size_t		 len;		/* plaintext, or ciphertext and tag */
	uint8_t		*out;		/* where data opens to */
	int		 seal;
	int		 result;	/* 0, or -1: did not authenticate */
};

int	workers_start(unsigned int);
void	workers_stop(void);
unsigned int workers_count(void);
void	workers_run(struct crypt_job *, size_t);

#endif /* WGD_WORKERS_H */
