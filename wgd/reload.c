/*
 * Reload as a transaction (bgpd's model): the new file is parsed whole;
 * any error leaves the running configuration untouched.  A good one is
 * applied as a difference: what can fail (new devices, new ports) is
 * done first and undone on failure, then addresses and routes change,
 * and the engine swaps in the new set keeping the state of every peer
 * whose key did not change.  The client gets one line per change.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "masq.h"
#include "parent.h"
#include "provision.h"
#include "statedir.h"

#define CHANGES_MAX	256

static struct wgd_iface_conf *
find_iface(const struct wgd_config *conf, const char *name)
{
	struct wgd_iface_conf	*ifc;

	TAILQ_FOREACH(ifc, &conf->ifaces, entry)
		if (strcmp(ifc->name, name) == 0)
			return ifc;
	return NULL;
}

static struct wgd_peer_conf *
find_peer(const struct wgd_config *conf, const char *name,
    struct wgd_iface_conf **ifcp)
{
	struct wgd_iface_conf	*ifc;
	struct wgd_peer_conf	*peer;

	TAILQ_FOREACH(ifc, &conf->ifaces, entry)
		TAILQ_FOREACH(peer, &ifc->peers, entry)
			if (strcmp(peer->name, name) == 0) {
				*ifcp = ifc;
				return peer;
			}
	return NULL;
}

/* The same prefixes, in any order. */
static int
prefixes_same(const struct wgd_prefixes *a, const struct wgd_prefixes *b)
{
	size_t	 i, j;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++)
			if (addr_equal(&a->v[i], &b->v[j]))
				break;
		if (j == b->n)
			return 0;
	}
	return 1;
}

static void
add_word(char *buf, size_t len, const char *word)
{
	if (buf[0] != '\0')
		strlcat(buf, ", ", len);
	strlcat(buf, word, len);
}

static void
client_changes(const struct wgd_client_conf *a, const struct wgd_client_conf *b,
    char *buf, size_t len)
{
	if (strcmp(a->endpoint_host, b->endpoint_host) != 0 ||
	    a->endpoint_port != b->endpoint_port)
		add_word(buf, len, "client endpoint");
	if (a->dns_auto != b->dns_auto || a->dns_tunnel != b->dns_tunnel ||
	    !prefixes_same(&a->dns, &b->dns))
		add_word(buf, len, "client dns");
	if (!prefixes_same(&a->allowed_ips, &b->allowed_ips))
		add_word(buf, len, "client allowed-ips");
	if (a->keepalive != b->keepalive)
		add_word(buf, len, "client persistent-keepalive");
}

static void
iface_changes(const struct wgd_iface_conf *a, const struct wgd_iface_conf *b,
    char *buf, size_t len)
{
	buf[0] = '\0';
	if (sodium_memcmp(a->privkey, b->privkey, WG_KEY_LEN) != 0)
		add_word(buf, len, "private-key");
	/* A port set through wg(8) is not the file's doing. */
	if ((a->rt_port ? a->file_port : a->listen_port) != b->listen_port)
		add_word(buf, len, "listen-port");
	if (!prefixes_same(&a->addresses, &b->addresses))
		add_word(buf, len, "address");
	if (a->mtu != b->mtu)
		add_word(buf, len, "mtu");
	if (strcmp(a->masquerade, b->masquerade) != 0)
		add_word(buf, len, "masquerade");
	client_changes(&a->client, &b->client, buf, len);
}

static void
peer_changes(const struct wgd_iface_conf *ai, const struct wgd_peer_conf *a,
    const struct wgd_iface_conf *bi, const struct wgd_peer_conf *b,
    char *buf, size_t len)
{
	buf[0] = '\0';
	if (strcmp(ai->name, bi->name) != 0)
		add_word(buf, len, "interface");
	if (a->has_pubkey != b->has_pubkey ||
	    memcmp(a->pubkey, b->pubkey, WG_KEY_LEN) != 0)
		add_word(buf, len, "public-key");
	if (a->psk_source != b->psk_source ||
	    sodium_memcmp(a->psk, b->psk, WG_KEY_LEN) != 0)
		add_word(buf, len, "preshared-key");
	if (!prefixes_same(&a->allowed_ips, &b->allowed_ips))
		add_word(buf, len, "allowed-ips");
	if (!prefixes_same(&a->addresses, &b->addresses))
		add_word(buf, len, "address");
	if (strcmp(a->endpoint_host, b->endpoint_host) != 0 ||
	    a->endpoint_port != b->endpoint_port)
		add_word(buf, len, "endpoint");
	if (a->keepalive != b->keepalive)
		add_word(buf, len, "persistent-keepalive");
	client_changes(&a->client, &b->client, buf, len);
	if (a->disabled != b->disabled)
		add_word(buf, len, "disable");
	if (a->forward_to_set != b->forward_to_set ||
	    !prefixes_same(&a->forward_to, &b->forward_to))
		add_word(buf, len, "forward-to");
}

/* Where a new managed peer's client configuration and QR code are. */
static void
report_client_files(struct wgd *env, uint32_t id, const struct wgd_config *conf,
    const struct wgd_iface_conf *ifc, const struct wgd_peer_conf *peer)
{
	char	*line;

	if (asprintf(&line, "peer %s: client configuration in "
	    "%s/%s/peer_%s/peer_%s.conf, QR code in peer_%s.png", peer->name,
	    conf->state_dir, ifc->name, peer->name, peer->name,
	    peer->name) == -1)
		fatal("%s", __func__);
	parent_reply(env, id, 0, line);
	free(line);
}

/* The lines wgctl reload prints, from old to new. */
static int
report_changes(struct wgd *env, uint32_t id, const struct wgd_config *old,
    const struct wgd_config *new)
{
	struct wgd_iface_conf	*ifc, *other, *pifc;
	struct wgd_peer_conf	*peer, *p;
	char			 what[256], line[512];
	int			 n = 0;

	TAILQ_FOREACH(ifc, &old->ifaces, entry)
		if (find_iface(new, ifc->name) == NULL) {
			snprintf(line, sizeof(line), "interface %s: removed",
			    ifc->name);
			parent_reply(env, id, 0, line);
			n++;
		}
	TAILQ_FOREACH(ifc, &new->ifaces, entry) {
		if ((other = find_iface(old, ifc->name)) == NULL) {
			snprintf(line, sizeof(line), "interface %s: added",
			    ifc->name);
			parent_reply(env, id, 0, line);
			n++;
			continue;
		}
		iface_changes(other, ifc, what, sizeof(what));
		if (what[0] != '\0') {
			snprintf(line, sizeof(line), "interface %s: %s "
			    "changed", ifc->name, what);
			parent_reply(env, id, 0, line);
			n++;
		}
	}
	TAILQ_FOREACH(ifc, &old->ifaces, entry)
		TAILQ_FOREACH(peer, &ifc->peers, entry)
			if (find_peer(new, peer->name, &pifc) == NULL) {
				snprintf(line, sizeof(line), "peer %s: removed",
				    peer->name);
				parent_reply(env, id, 0, line);
				n++;
			}
	TAILQ_FOREACH(ifc, &new->ifaces, entry)
		TAILQ_FOREACH(peer, &ifc->peers, entry) {
			if ((p = find_peer(old, peer->name, &pifc)) == NULL) {
				snprintf(line, sizeof(line), "peer %s: added",
				    peer->name);
				parent_reply(env, id, 0, line);
				n++;
				if (peer->managed)
					report_client_files(env, id, new, ifc,
					    peer);
				continue;
			}
			peer_changes(pifc, p, ifc, peer, what, sizeof(what));
			if (what[0] != '\0') {
				snprintf(line, sizeof(line), "peer %s: %s "
				    "changed", peer->name, what);
				parent_reply(env, id, 0, line);
				n++;
			}
		}
	return n;
}

/* The port and mark wg(8) set, which the file's replace. */
static int
report_runtime(struct wgd *env, uint32_t id, const struct wgd_config *old,
    const struct wgd_config *new)
{
	const struct wgd_iface_conf	*ifc, *nifc;
	char				 line[256];
	int				 n = 0;

	TAILQ_FOREACH(ifc, &old->ifaces, entry) {
		if ((nifc = find_iface(new, ifc->name)) == NULL)
			continue;
		if (ifc->rt_port && ifc->listen_port != nifc->listen_port) {
			snprintf(line, sizeof(line), "interface %s: listen "
			    "port %u set through wg(8), back to %u",
			    ifc->name, ifc->listen_port, nifc->listen_port);
			parent_reply(env, id, 0, line);
			n++;
		}
		if (ifc->fwmark != 0) {
			snprintf(line, sizeof(line), "interface %s: fwmark "
			    "0x%x set through wg(8), removed", ifc->name,
			    ifc->fwmark);
			parent_reply(env, id, 0, line);
			n++;
		}
	}
	return n;
}

/* Settings the processes took at start; a change waits for a restart. */
static void
keep_start_settings(struct wgd *env, uint32_t id, struct wgd_config *new)
{
	const struct wgd_config	*old = env->conf;
	char			 line[256];

	if (strcmp(old->user, new->user) != 0 ||
	    strcmp(old->socket, new->socket) != 0 ||
	    strcmp(old->rsocket, new->rsocket) != 0 ||
	    strcmp(old->state_dir, new->state_dir) != 0) {
		snprintf(line, sizeof(line), "user, socket and state-dir "
		    "changes take effect when wgd restarts");
		parent_reply(env, id, 1, line);
	}
	if (old->engine_threads != new->engine_threads) {
		snprintf(line, sizeof(line), "engine-threads %u takes effect "
		    "when wgd restarts", new->engine_threads);
		parent_reply(env, id, 1, line);
	}
	new->engine_threads = old->engine_threads;
	strlcpy(new->user, old->user, sizeof(new->user));
	strlcpy(new->socket, old->socket, sizeof(new->socket));
	strlcpy(new->rsocket, old->rsocket, sizeof(new->rsocket));
	strlcpy(new->state_dir, old->state_dir, sizeof(new->state_dir));
}

/*
 * A reload's answer ends once the engine applied the configuration,
 * after the lines of what it undid of wg(8)'s changes.  Reloads are
 * answered in order: the engine applies them so.
 */
struct pending_reload {
	TAILQ_ENTRY(pending_reload) entry;
	uint32_t		 id;
	int			 changes;
};
static TAILQ_HEAD(, pending_reload) pending =
    TAILQ_HEAD_INITIALIZER(pending);

static void
reload_wait_engine(struct wgd *env, uint32_t id, int changes)
{
	struct pending_reload	*pr;

	(void)env;
	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		fatal("%s", __func__);
	pr->id = id;
	pr->changes = changes;
	TAILQ_INSERT_TAIL(&pending, pr, entry);
}

/* IMSG_RECONF_UNDONE: one line for the reload being applied. */
void
reload_undone(struct wgd *env, const char *line)
{
	struct pending_reload	*pr;

	if ((pr = TAILQ_FIRST(&pending)) == NULL) {
		log_info("%s", line);
		return;
	}
	pr->changes++;
	parent_reply(env, pr->id, 0, line);
}

/* IMSG_RECONF_DONE after a reload: its answer ends. */
void
reload_applied(struct wgd *env)
{
	struct pending_reload	*pr;

	if ((pr = TAILQ_FIRST(&pending)) == NULL)
		return;
	TAILQ_REMOVE(&pending, pr, entry);
	if (pr->changes == 0)
		parent_reply(env, pr->id, 0, "no changes");
	parent_reply_end(env, pr->id, 0);
	log_info("configuration reloaded");
	free(pr);
}

/*
 * Re-reads the configuration for wgctl client id (0: SIGHUP, replies go
 * to the log).  Returns 0 when the new one runs, -1 when the old one
 * still does.
 */
int
reload(struct wgd *env, uint32_t id)
{
	struct conf_msgs	 msgs = TAILQ_HEAD_INITIALIZER(msgs);
	struct conf_msg		*m;
	struct wgd_config	*new;
	struct wgd_iface_conf	*ifc, *old;
	struct iface_fds	*fds = NULL;
	size_t			 n = 0, i;
	int			 changes;
	char			 line[1024];

	new = parse_config(env->conffile, &msgs);
	TAILQ_FOREACH(m, &msgs, entry)
		parent_reply(env, id, 1, m->text);
	conf_msgs_free(&msgs);
	if (new == NULL)
		goto fail;
	keep_start_settings(env, id, new);

	TAILQ_FOREACH(ifc, &new->ifaces, entry) {
		if (iface_load_key(new, ifc) == -1) {
			snprintf(line, sizeof(line), "interface %s: no "
			    "private key (see the log)", ifc->name);
			parent_reply(env, id, 1, line);
			goto fail;
		}
		n++;
	}
	/* The peers' files before anything runs: a full disk fails here. */
	if (provision(new) == -1 || provision_write_clients(new, NULL) == -1) {
		snprintf(line, sizeof(line), "cannot provision the managed "
		    "peers: %s", statedir_error() != NULL ? statedir_error() :
		    "see the log");
		parent_reply(env, id, 1, line);
		goto fail;
	}
	if (masq_guard_possible(new) == -1) {
		parent_reply(env, id, 1, "forward-to cannot be enforced (see "
		    "the log): the running configuration stays");
		goto fail;
	}

	/* What can fail, first, so a failure changes nothing. */
	if ((fds = calloc(n > 0 ? n : 1, sizeof(*fds))) == NULL)
		fatal("%s", __func__);
	i = 0;
	TAILQ_FOREACH(ifc, &new->ifaces, entry)
		iface_fds_init(&fds[i++], ifc->name);
	i = 0;
	TAILQ_FOREACH(ifc, &new->ifaces, entry) {
		old = find_iface(env->conf, ifc->name);
		if ((old == NULL && iface_create(env, ifc, &fds[i]) == -1) ||
		    (old != NULL && old->listen_port != ifc->listen_port &&
		    iface_rebind(env, ifc, &fds[i]) == -1)) {
			snprintf(line, sizeof(line), "interface %s: cannot "
			    "set it up (see the log)", ifc->name);
			parent_reply(env, id, 1, line);
			for (i = 0; i < n; i++)
				iface_fds_close(&fds[i]);
			ports_prune(env, env->conf);
			goto fail;
		}
		i++;
	}

	/* What goes away or moves leaves first, everywhere. */
	TAILQ_FOREACH(old, &env->conf->ifaces, entry)
		iface_update(env, old, find_iface(new, old->name), 0);
	TAILQ_FOREACH(ifc, &new->ifaces, entry)
		iface_update(env, find_iface(env->conf, ifc->name), ifc, 1);
	i = 0;
	TAILQ_FOREACH(ifc, &new->ifaces, entry) {
		if (fds[i].udp4 != -1)
			ifc->listen_port = fds[i].port;
		/* wgd.conf sets no mark: one set through the API goes. */
		(void)port_mark(env, ifc->listen_port, 0);
		i++;
	}
	parent_send_config(env, new, fds, n);
	free(fds);
	/* New interfaces get theirs once the engine has them. */
	TAILQ_FOREACH(old, &env->conf->ifaces, entry)
		if (find_iface(new, old->name) == NULL)
			uapi_socket_remove(env, old->name);

	/* "no changes" waits for the engine's list of what it undid. */
	changes = report_changes(env, id, env->conf, new) +
	    report_runtime(env, id, env->conf, new);
	provision_commit(new);
	config_free(env->conf);
	env->conf = new;
	resolve_all(env, 1);
	dnsfwd_apply(env);
	if (masq_apply(env->conf) == -1)
		parent_reply(env, id, 1, masq_guard_failed(env->conf) ?
		    "forward-to NOT enforced: nft failed (see the log)" :
		    "masquerade: not fully applied (see the log)");
	ports_prune(env, env->conf);
	reload_wait_engine(env, id, changes);
	return 0;
fail:
	free(fds);
	config_free(new);
	/* The peers' files may have been written for new: back to ours. */
	(void)provision_write_clients(env->conf, NULL);
	parent_reply_end(env, id, 1);
	if (id != 0)
		log_warnx("reload failed: keeping the running configuration");
	return -1;
}
