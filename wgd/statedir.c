/*
 * Files in the state directory: folders 0700, files 0600, every write
 * atomic (a new file renamed over the old) and durable (the file and
 * its folder synced), because these keys live on SD cards that lose
 * power.  Run by the parent only.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "log.h"
#include "statedir.h"

static char	 last_error[PATH_MAX + 64];

/*
 * log_warn(), and the line kept for statedir_error(): a reload's reply
 * says what failed ("No space left on device"), not only "see the log".
 */
static void __attribute__((format(printf, 1, 2)))
sd_warn(const char *fmt, ...)
{
	char	 what[PATH_MAX + 16];
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(last_error, sizeof(last_error), "%s: %s", what,
	    strerror(saved));
	log_warnx("%s", last_error);
	errno = saved;
}

/* The last failure of a statedir function since statedir_error_clear. */
const char *
statedir_error(void)
{
	return last_error[0] != '\0' ? last_error : NULL;
}

void
statedir_error_clear(void)
{
	last_error[0] = '\0';
}


/*
 * Creates a folder 0700 and makes it durable.  An existing one keeps
 * its mode (state-dir "/var/lib" must not become 0700), but one that
 * others may write to is refused: they could plant keys.
 */
int
statedir_mkdir(const char *path)
{
	struct stat	 st;
	char		 parent[PATH_MAX], *slash;

	if (mkdir(path, 0700) == 0) {
		/* The mode regardless of the umask, the entry durable. */
		if (chmod(path, 0700) == -1) {
			sd_warn("chmod %s", path);
			return -1;
		}
		strlcpy(parent, path, sizeof(parent));
		if ((slash = strrchr(parent, '/')) != NULL) {
			if (slash == parent)
				slash++;
			*slash = '\0';
			if (statedir_sync(parent) == -1)
				return -1;
		}
	} else if (errno != EEXIST) {
		sd_warn("mkdir %s", path);
		return -1;
	}
	if (lstat(path, &st) == -1) {
		sd_warn("%s", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("%s is not a directory", path);
		return -1;
	}
	/* Another owner could swap a folder for a link under our feet. */
	if (st.st_uid != geteuid()) {
		log_warnx("%s is owned by uid %u, not by us: refusing to keep "
		    "keys there", path, (unsigned int)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		log_warnx("%s may be written by others: refusing to keep keys "
		    "there", path);
		return -1;
	}
	return 0;
}

/* Makes a folder's entries durable: after a rename or a mkdir in it. */
int
statedir_sync(const char *dir)
{
	int	 fd, rv = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		sd_warn("%s", dir);
		return -1;
	}
	if (fsync(fd) == -1) {
		sd_warn("fsync %s", dir);
		rv = -1;
	}
	close(fd);
	return rv;
}

/*
 * Writes dir/name with mode 0600: a temporary file made with O_EXCL,
 * written, synced, renamed over name, then the folder synced.
 */
int
statedir_write(const char *dir, const char *name, const void *data,
    size_t len)
{
	return statedir_write_dated(dir, name, data, len, NULL);
}

/*
 * The same, the file given modification time mtime (if not NULL)
 * before it takes name's place, so that it never shows another time.
 */
int
statedir_write_dated(const char *dir, const char *name, const void *data,
    size_t len, const struct timespec *mtime)
{
	struct timespec	 ts[2];
	char		 tmp[PATH_MAX], path[PATH_MAX];
	const char	*p = data;
	ssize_t		 n;
	int		 fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.new", dir, name) >=
	    sizeof(tmp)) {
		log_warnx("%s/%s: path too long", dir, name);
		return -1;
	}
	/* Left by a crash in the middle of a write: never a real file. */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		sd_warn("unlink %s", tmp);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		sd_warn("%s", tmp);
		return -1;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			sd_warn("write %s", tmp);
			goto fail;
		}
		p += n;
		len -= n;
	}
	if (mtime != NULL) {
		ts[0].tv_sec = 0;
		ts[0].tv_nsec = UTIME_OMIT;
		ts[1] = *mtime;
		if (futimens(fd, ts) == -1) {
			sd_warn("futimens %s", tmp);
			goto fail;
		}
	}
	if (fsync(fd) == -1) {
		sd_warn("fsync %s", tmp);
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		sd_warn("close %s", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		sd_warn("rename %s", path);
		goto fail;
	}
	return statedir_sync(dir);
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

/*
 * Removes the temporary files (".NAME.new") that a crash in the middle
 * of statedir_write() left in dir: never whole, and never read.
 */
int
statedir_sweep(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 len;
	int		 rv = 0;

	if ((d = opendir(dir)) == NULL) {
		sd_warn("%s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] != '.' || len <= strlen("..new") ||
		    strcmp(de->d_name + len - strlen(".new"), ".new") != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1 && errno != ENOENT) {
			sd_warn("%s/%s", dir, de->d_name);
			rv = -1;
		} else
			log_debug("%s/%s: removed, left by a crash", dir,
			    de->d_name);
	}
	closedir(d);
	return rv;
}

/* Same as statedir_write(), skipped when the file already says it. */
int
statedir_write_if_changed(const char *dir, const char *name,
    const char *text)
{
	char	 path[PATH_MAX], old[256];
	ssize_t	 n = -1;
	size_t	 len = strlen(text);
	int	 fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    sizeof(path) &&
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
		n = read(fd, old, sizeof(old));
		close(fd);
	}
	if (n >= 0 && (size_t)n == len && memcmp(old, text, len) == 0)
		return 0;
	return statedir_write(dir, name, text, len);
}

/*
 * The private key of an interface whose configuration gives none: read
 * from state_dir/IF/server/privatekey-server, or generated there on the
 * first start.  A file that exists but does not hold a key is an error,
 * never silently replaced.
 */
int
statedir_server_key(const char *state_dir, const char *ifname,
    uint8_t priv[WG_KEY_LEN])
{
	char	 ifdir[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	char	 err[PATH_MAX + 128], b64[WG_KEY_LEN_BASE64 + 1];
	uint8_t	 pub[WG_KEY_LEN];
	int	 rv = -1;

	if ((size_t)snprintf(ifdir, sizeof(ifdir), "%s/%s", state_dir,
	    ifname) >= sizeof(ifdir) ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/server", ifdir) >=
	    sizeof(dir) ||
	    (size_t)snprintf(path, sizeof(path), "%s/privatekey-server",
	    dir) >= sizeof(path)) {
		log_warnx("%s: path too long", state_dir);
		return -1;
	}
	if (statedir_mkdir(state_dir) == -1 || statedir_mkdir(ifdir) == -1 ||
	    statedir_mkdir(dir) == -1 || statedir_sweep(dir) == -1)
		return -1;

	if (access(path, F_OK) == 0) {
		if (conf_read_key_file(path, priv, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return -1;
		}
	} else if (errno != ENOENT) {
		log_warn("%s", path);
		return -1;
	} else {
		key_generate_private(priv);
		key_to_base64(b64, priv);
		strlcat(b64, "\n", sizeof(b64));
		if (statedir_write(dir, "privatekey-server", b64,
		    strlen(b64)) == -1)
			goto done;
		log_info("interface %s: generated a private key in %s",
		    ifname, path);
	}

	/* The public half is for people; rewrite it if it disagrees. */
	if (key_public_from_private(pub, priv) == -1) {
		log_warnx("%s: not a usable private key", path);
		goto done;
	}
	key_to_base64(b64, pub);
	strlcat(b64, "\n", sizeof(b64));
	if (statedir_write_if_changed(dir, "publickey-server", b64) == -1)
		goto done;
	rv = 0;
done:
	sodium_memzero(b64, sizeof(b64));
	return rv;
}

/*
 * A managed peer's address-peer_NAME: one address a line, as the peer
 * last had them.  A missing file keeps none (a new peer).  One that does
 * not read as addresses is an error, as a bad key file is: new addresses
 * in its place would silently break the conf the phone scanned.  out is
 * the caller's to free after 0; after -1 (logged) it is empty.
 */
int
statedir_read_addresses(const char *path, struct wgd_prefixes *out)
{
	struct wgd_prefix	 a;
	char			 line[128], *s, *e;
	FILE			*fp;
	int			 n = 0, rv = -1;

	memset(out, 0, sizeof(*out));
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			log_warnx("%s:%d: not an address (too long): correct "
			    "it, or remove the file to give the peer new "
			    "addresses", path, n);
			goto done;
		}
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s &&
		    isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		/* wgd writes none, but an editor may leave one. */
		if (*s == '\0')
			continue;
		if (addr_parse(s, &a) == -1) {
			log_warnx("%s:%d: not an address: correct it, or "
			    "remove the file to give the peer new addresses",
			    path, n);
			goto done;
		}
		if (prefixes_add(out, &a) == -1)
			fatal("%s", __func__);
	}
	if (ferror(fp)) {
		log_warn("%s", path);
		goto done;
	}
	rv = 0;
done:
	fclose(fp);
	if (rv == -1)
		prefixes_free(out);
	return rv;
}
