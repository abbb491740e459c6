/*
 * Cryptokey routing table: one path-compressed binary trie per address
 * family.  A node stores its whole prefix (key masked to cidr bits), so
 * a chain of one-child nodes never exists: a node either carries a peer
 * or is a branch point with exactly two children.  Every node on a path
 * has a longer cidr than its parent, which bounds the depth at 33 or 129
 * nodes, and the parent pointers let every traversal run as a loop.
 *
 * Keys are kept as two host-order 64-bit words, the address's first bit
 * being the top bit of key[0]; an IPv4 address fills the top half of
 * key[0] and leaves the rest zero.  Prefix tests and bit picks are then
 * a few word operations whatever the family.
 */

#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "allowedips.h"
#include "log.h"

struct allowedips_node {
	struct allowedips_node	*child[2];
	struct allowedips_node	*parent;
	void			*peer;		/* NULL: branch point only */
	uint32_t		 aux;		/* the owner's, for its use */
	uint64_t		 key[2];
	uint8_t			 cidr;
};

static uint64_t
mask64(int bits)
{
	return bits == 0 ? 0 : ~(uint64_t)0 << (64 - bits);
}

static void
key_load(int af, const uint8_t *addr, uint64_t key[2])
{
	int	 i;

	key[0] = key[1] = 0;
	if (af == AF_INET) {
		for (i = 0; i < 4; i++)
			key[0] |= (uint64_t)addr[i] << (56 - 8 * i);
		return;
	}
	for (i = 0; i < 16; i++)
		key[i / 8] |= (uint64_t)addr[i] << (56 - 8 * (i % 8));
}

static void
key_store(int af, const uint64_t key[2], uint8_t *addr)
{
	int	 i, n = af == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++)
		addr[i] = (uint8_t)(key[i / 8] >> (56 - 8 * (i % 8)));
}

static void
key_mask(uint64_t key[2], int cidr)
{
	key[0] &= mask64(cidr > 64 ? 64 : cidr);
	key[1] &= mask64(cidr > 64 ? cidr - 64 : 0);
}

/* Bit i of the key, counting from the first bit of the address. */
static int
key_bit(const uint64_t key[2], int i)
{
	if (i < 64)
		return (int)(key[0] >> (63 - i)) & 1;
	return (int)(key[1] >> (127 - i)) & 1;
}

/* How many leading bits two keys share, at most 128. */
static int
key_common(const uint64_t a[2], const uint64_t b[2])
{
	uint64_t	 x;

	if ((x = a[0] ^ b[0]) != 0)
		return __builtin_clzll(x);
	if ((x = a[1] ^ b[1]) != 0)
		return 64 + __builtin_clzll(x);
	return 128;
}

/* Whether key lies inside the node's prefix. */
static int
node_matches(const struct allowedips_node *n, const uint64_t key[2])
{
	if (n->cidr <= 64)
		return ((n->key[0] ^ key[0]) & mask64(n->cidr)) == 0;
	return n->key[0] == key[0] &&
	    ((n->key[1] ^ key[1]) & mask64(n->cidr - 64)) == 0;
}

static struct allowedips_node *
node_new(const uint64_t key[2], int cidr, void *peer,
    struct allowedips_node *parent)
{
	struct allowedips_node	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		log_warn("allowedips");
		return NULL;
	}
	n->key[0] = key[0];
	n->key[1] = key[1];
	key_mask(n->key, cidr);
	n->cidr = (uint8_t)cidr;
	n->peer = peer;
	n->parent = parent;
	return n;
}

/* The slot in the parent (or the root) that points at n. */
static struct allowedips_node **
node_slot(struct allowedips_node **root, struct allowedips_node *n)
{
	struct allowedips_node	*p = n->parent;

	if (p == NULL)
		return root;
	return &p->child[p->child[1] == n];
}

/*
 * Frees n if it no longer earns its place: no peer and fewer than two
 * children.  Its one child, if any, takes its slot.  Only n's parent can
 * be left breaking the rule afterwards, and only when n had no child.
 */
static void
node_prune(struct allowedips_node **root, struct allowedips_node *n)
{
	struct allowedips_node	*c;

	if (n->peer != NULL || (n->child[0] != NULL && n->child[1] != NULL))
		return;
	c = n->child[0] != NULL ? n->child[0] : n->child[1];
	*node_slot(root, n) = c;
	if (c != NULL)
		c->parent = n->parent;
	free(n);
}

/* The first node in post-order of the subtree at n: its deepest left. */
static struct allowedips_node *
node_first_post(struct allowedips_node *n)
{
	for (;;) {
		if (n->child[0] != NULL)
			n = n->child[0];
		else if (n->child[1] != NULL)
			n = n->child[1];
		else
			return n;
	}
}

/*
 * Visits the tree in post-order, children before their parent, so that
 * pruning a node only ever looks at children already final.  With peer
 * NULL every node goes; otherwise the peer's prefixes do.
 */
static void
tree_prune(struct allowedips_node **root, void *peer)
{
	struct allowedips_node	*n, *p;
	int			 left;

	if (*root == NULL)
		return;
	n = node_first_post(*root);
	while (n != NULL) {
		/* Where to go next is decided before n may be freed. */
		p = n->parent;
		left = p != NULL && p->child[0] == n;
		if (peer == NULL) {
			free(n);
			if (p != NULL)
				p->child[!left] = NULL;
			else
				*root = NULL;
		} else {
			if (n->peer == peer)
				n->peer = NULL;
			node_prune(root, n);
		}
		if (p == NULL)
			n = NULL;
		else if (left && p->child[1] != NULL)
			n = node_first_post(p->child[1]);
		else
			n = p;
	}
}

/* The next node in pre-order, which is address order, then length. */
static const struct allowedips_node *
node_next_pre(const struct allowedips_node *n)
{
	const struct allowedips_node	*p;

	if (n->child[0] != NULL)
		return n->child[0];
	if (n->child[1] != NULL)
		return n->child[1];
	for (; (p = n->parent) != NULL; n = p)
		if (p->child[0] == n && p->child[1] != NULL)
			return p->child[1];
	return NULL;
}

/* The root for the prefix's family, or NULL if the prefix is invalid. */
static struct allowedips_node **
prefix_root(struct allowedips *t, const struct wgd_prefix *p)
{
	if (p->af == AF_INET && p->plen <= 32)
		return &t->root4;
	if (p->af == AF_INET6 && p->plen <= 128)
		return &t->root6;
	return NULL;
}

void
allowedips_init(struct allowedips *t)
{
	t->root4 = NULL;
	t->root6 = NULL;
}

void
allowedips_free(struct allowedips *t)
{
	tree_prune(&t->root4, NULL);
	tree_prune(&t->root6, NULL);
}

/*
 * Maps the prefix to peer, ignoring the prefix's host bits.  A prefix
 * already in the table moves to the new peer, as "wg set" does.  Returns
 * -1 with errno EINVAL for a bad prefix or a NULL peer, or after logging
 * a failed allocation; the table is then unchanged.
 */
int
allowedips_insert(struct allowedips *t, const struct wgd_prefix *p,
    void *peer)
{
	return allowedips_insert_aux(t, p, peer, 0);
}

/* The same, with a number the owner keeps there (allowedips_exact). */
int
allowedips_insert_aux(struct allowedips *t, const struct wgd_prefix *p,
    void *peer, uint32_t aux)
{
	struct allowedips_node	**slot, *parent = NULL, *n, *leaf, *branch;
	uint64_t		  key[2];
	int			  common, shorter;

	if (peer == NULL || (slot = prefix_root(t, p)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	key_load(p->af, p->addr.bytes, key);
	key_mask(key, p->plen);

	/* Down while n's prefix holds the new one; nothing changes yet. */
	for (; (n = *slot) != NULL; slot = &n->child[key_bit(key, n->cidr)]) {
		shorter = n->cidr < p->plen ? n->cidr : p->plen;
		if ((common = key_common(n->key, key)) > shorter)
			common = shorter;
		if (common < n->cidr)
			break;
		if (n->cidr == p->plen) {
			n->peer = peer;
			n->aux = aux;
			return 0;
		}
		parent = n;
	}

	if ((leaf = node_new(key, p->plen, peer, parent)) == NULL)
		return -1;
	leaf->aux = aux;
	if (n == NULL) {
		*slot = leaf;
		return 0;
	}
	if (common == p->plen) {
		/* The new prefix contains n: it goes between n and parent. */
		leaf->child[key_bit(n->key, common)] = n;
		n->parent = leaf;
		*slot = leaf;
		return 0;
	}
	/* They part at bit common: a branch point holds both. */
	if ((branch = node_new(key, common, NULL, parent)) == NULL) {
		free(leaf);
		return -1;
	}
	branch->child[key_bit(key, common)] = leaf;
	branch->child[key_bit(n->key, common)] = n;
	leaf->parent = branch;
	n->parent = branch;
	*slot = branch;
	return 0;
}

/*
 * The peer the exact prefix (host bits ignored) maps to, or NULL; with
 * its number in *aux when aux is not NULL.
 */
void *
allowedips_exact(const struct allowedips *t, const struct wgd_prefix *p,
    uint32_t *aux)
{
	const struct allowedips_node	*n;
	uint64_t			 key[2];

	if (p->af == AF_INET && p->plen <= 32)
		n = t->root4;
	else if (p->af == AF_INET6 && p->plen <= 128)
		n = t->root6;
	else
		return NULL;
	key_load(p->af, p->addr.bytes, key);
	key_mask(key, p->plen);
	for (; n != NULL; n = n->child[key_bit(key, n->cidr)]) {
		if (n->cidr > p->plen || !node_matches(n, key))
			return NULL;
		if (n->cidr == p->plen) {
			if (aux != NULL)
				*aux = n->aux;
			return n->peer;
		}
	}
	return NULL;
}

/*
 * Removes the prefix (host bits ignored) if it maps to peer.  Returns -1
 * with errno ENOENT if it does not, EINVAL for a bad prefix; nothing is
 * logged, the caller knows which peer and request this was about.
 */
int
allowedips_remove(struct allowedips *t, const struct wgd_prefix *p,
    void *peer)
{
	struct allowedips_node	**root, *n, *parent;
	uint64_t		  key[2];

	if (peer == NULL || (root = prefix_root(t, p)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	key_load(p->af, p->addr.bytes, key);
	key_mask(key, p->plen);

	for (n = *root; n != NULL; n = n->child[key_bit(key, n->cidr)]) {
		if (n->cidr > p->plen || !node_matches(n, key)) {
			n = NULL;
			break;
		}
		if (n->cidr == p->plen)
			break;
	}
	if (n == NULL || n->peer != peer) {
		errno = ENOENT;
		return -1;
	}
	n->peer = NULL;
	parent = n->parent;
	node_prune(root, n);
	if (parent != NULL)
		node_prune(root, parent);
	return 0;
}

/* Removes every prefix of peer, freeing the nodes no longer needed. */
void
allowedips_remove_peer(struct allowedips *t, void *peer)
{
	if (peer == NULL)
		return;
	tree_prune(&t->root4, peer);
	tree_prune(&t->root6, peer);
}

/*
 * The peer whose prefix is the longest match for addr (4 or 16 bytes in
 * network order, by af), or NULL.  The engine asks this for a packet's
 * destination before sending, and for a decrypted packet's source, which
 * must come back as the peer it arrived from.
 */
void *
allowedips_lookup(const struct allowedips *t, int af, const uint8_t *addr)
{
	const struct allowedips_node	*n;
	uint64_t			 key[2];
	void				*peer = NULL;
	int				 bits;

	if (af == AF_INET) {
		n = t->root4;
		bits = 32;
	} else if (af == AF_INET6) {
		n = t->root6;
		bits = 128;
	} else
		return NULL;
	key_load(af, addr, key);

	while (n != NULL && node_matches(n, key)) {
		if (n->peer != NULL)
			peer = n->peer;
		if (n->cidr == bits)
			break;
		n = n->child[key_bit(key, n->cidr)];
	}
	return peer;
}

/*
 * Calls cb(prefix, peer, arg) for each prefix of peer (of every peer if
 * peer is NULL): IPv4 first, then IPv6, each by address and then by
 * length, the order of addr_cmp().  The order depends only on what the
 * table holds, not on the order of insertion, so "show" output and a
 * copy made by inserting what a walk lists are reproducible.  cb must
 * not change the table; a nonzero return stops the walk, which returns
 * that value, else 0.
 */
int
allowedips_walk(const struct allowedips *t, void *peer,
    int (*cb)(const struct wgd_prefix *, void *, void *), void *arg)
{
	const struct allowedips_node	*n;
	struct wgd_prefix		 p;
	int				 i, rv;

	for (i = 0; i < 2; i++) {
		n = i == 0 ? t->root4 : t->root6;
		for (; n != NULL; n = node_next_pre(n)) {
			if (n->peer == NULL)
				continue;
			if (peer != NULL && n->peer != peer)
				continue;
			memset(&p, 0, sizeof(p));
			p.af = i == 0 ? AF_INET : AF_INET6;
			p.plen = n->cidr;
			key_store(p.af, n->key, p.addr.bytes);
			if ((rv = cb(&p, n->peer, arg)) != 0)
				return rv;
		}
	}
	return 0;
}
