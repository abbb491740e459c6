/*
 * The engine's clock, in a file of its own: a unit test that defines
 * now_ns() itself links instead of this one, and drives the peers'
 * timers with a fake clock (regress/unit/t_peer.c).
 */

#include <stdint.h>
#include <time.h>

#include "engine.h"

/* Nanoseconds of CLOCK_MONOTONIC, as the timers count them. */
uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}
