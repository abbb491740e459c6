/*
 * The few things the DNS forwarder reads in a message, checked: the
 * header and the question.  Pure functions of their input.
 */

#ifndef WGD_DNS_MSG_H
#define WGD_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN		12
#define DNS_NAME_MAX		255
#define DNS_QUERY_MAX		4096	/* a query with EDNS fits easily */
#define DNS_MSG_MAX		65535

/* The question of a query, kept to check what answers it. */
struct dns_question {
	uint16_t	 id;
	size_t		 len;		/* name, type and class */
	uint8_t		 q[DNS_NAME_MAX + 4];
};

int		 dns_query_check(const uint8_t *, size_t, struct dns_question *);
int		 dns_answer_check(const uint8_t *, size_t,
		    const struct dns_question *);
uint16_t	 dns_id(const uint8_t *);
void		 dns_set_id(uint8_t *, uint16_t);
int		 dns_truncated(const uint8_t *, size_t);

#endif /* WGD_DNS_MSG_H */
