/*
 * A fork-join pool for the transport AEAD (see workers.h).  The batch is
 * published under a mutex with a new generation number; every thread,
 * the caller included, claims chunks of it with an atomic counter, and
 * the last one to finish a chunk wakes the caller.  The mutex and the
 * generation give each batch a clean happens-before edge both ways, so
 * ThreadSanitizer sees what the code relies on.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "aead.h"
#include "log.h"
#include "workers.h"

/* Jobs claimed at a time: a few packets, so the threads share evenly. */
#define CHUNK		16
/* Below this many jobs the loop thread does them alone. */
#define MIN_SHARED	64

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 start;		/* a new batch, or stop */
	pthread_cond_t	 done;		/* the batch is finished */
	uint64_t	 generation;
	int		 stopping;
	struct crypt_job *jobs;
	size_t		 njobs;
	/*
	 * The generation in the high half, the next job to claim in the
	 * low: a thread late from the last batch cannot claim in this one.
	 */
	_Atomic uint64_t claim;
	atomic_size_t	 finished;	/* jobs done */
	pthread_t	*threads;
	unsigned int	 nthreads;	/* workers besides the loop thread */
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.start = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

static void
run_job(struct crypt_job *j)
{
	if (j->seal)
		j->result = aead_seal_room(j->key, j->counter, j->data,
		    j->len);
	else
		j->result = aead_open_room(j->key, j->counter, j->data,
		    j->len, j->out);
}

/*
 * Claims and runs chunks of batch gen until none is left; counts what
 * it did, and wakes the loop thread when that was the last.
 */
static void
work(uint64_t gen, struct crypt_job *jobs, size_t n)
{
	uint64_t	 v;
	size_t		 i, end, done;

	v = atomic_load_explicit(&pool.claim, memory_order_relaxed);
	for (;;) {
		if (v >> 32 != (gen & 0xffffffff) || (v & 0xffffffff) >= n)
			return;
		if (!atomic_compare_exchange_weak_explicit(&pool.claim, &v,
		    v + CHUNK, memory_order_relaxed, memory_order_relaxed))
			continue;
		i = v & 0xffffffff;
		end = i + CHUNK < n ? i + CHUNK : n;
		for (done = 0; i < end; i++, done++)
			run_job(&jobs[i]);
		/* Release: the results are visible to whoever sees the sum. */
		if (atomic_fetch_add_explicit(&pool.finished, done,
		    memory_order_acq_rel) + done == n) {
			pthread_mutex_lock(&pool.lock);
			pthread_cond_signal(&pool.done);
			pthread_mutex_unlock(&pool.lock);
		}
		v = atomic_load_explicit(&pool.claim, memory_order_relaxed);
	}
}

static void *
worker_main(void *arg)
{
	struct crypt_job	*jobs;
	uint64_t		 seen = 0;
	size_t			 n;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&pool.lock);
		while (pool.generation == seen && !pool.stopping)
			pthread_cond_wait(&pool.start, &pool.lock);
		if (pool.stopping) {
			pthread_mutex_unlock(&pool.lock);
			return NULL;
		}
		seen = pool.generation;
		jobs = pool.jobs;
		n = pool.njobs;
		pthread_mutex_unlock(&pool.lock);
		work(seen, jobs, n);
	}
}

/*
 * Starts n - 1 workers: the loop thread is the n-th.  Signals stay with
 * the loop thread.  Returns -1 after logging if a thread cannot start.
 */
int
workers_start(unsigned int n)
{
	sigset_t	 all, old;
	unsigned int	 i;
	int		 rv;

	if (n <= 1)
		return 0;
	if ((pool.threads = calloc(n - 1, sizeof(*pool.threads))) == NULL) {
		log_warn("%s", __func__);
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < n - 1; i++) {
		if ((rv = pthread_create(&pool.threads[i], NULL, worker_main,
		    NULL)) != 0) {
			errno = rv;
			log_warn("crypto worker %u", i + 1);
			break;
		}
		pool.nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pool.nthreads == n - 1 ? 0 : -1;
}

void
workers_stop(void)
{
	unsigned int	 i;

	pthread_mutex_lock(&pool.lock);
	pool.stopping = 1;
	pthread_cond_broadcast(&pool.start);
	pthread_mutex_unlock(&pool.lock);
	for (i = 0; i < pool.nthreads; i++)
		pthread_join(pool.threads[i], NULL);
	free(pool.threads);
	pool.threads = NULL;
	pool.nthreads = 0;
	pool.stopping = 0;
}

/* The threads that seal and open, the loop thread included. */
unsigned int
workers_count(void)
{
	return pool.nthreads + 1;
}

/*
 * Seals or opens every job and returns when all are done, their results
 * set.  Called by the loop thread only, one batch at a time.
 */
void
workers_run(struct crypt_job *jobs, size_t n)
{
	size_t	 i;

	if (n == 0)
		return;
	if (pool.nthreads == 0 || n < MIN_SHARED) {
		for (i = 0; i < n; i++)
			run_job(&jobs[i]);
		return;
	}
	pthread_mutex_lock(&pool.lock);
	pool.jobs = jobs;
	pool.njobs = n;
	pool.generation++;
	atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
	atomic_store_explicit(&pool.claim, (pool.generation & 0xffffffff) <<
	    32, memory_order_relaxed);
	pthread_cond_broadcast(&pool.start);
	pthread_mutex_unlock(&pool.lock);

	work(pool.generation, jobs, n);

	pthread_mutex_lock(&pool.lock);
	while (atomic_load_explicit(&pool.finished, memory_order_acquire) < n)
		pthread_cond_wait(&pool.done, &pool.lock);
	pthread_mutex_unlock(&pool.lock);
}
