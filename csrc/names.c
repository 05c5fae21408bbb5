/*
 * names.c - names: interface names (checked) and indexes (a link given
 * as an index, a name or a vnet.link object of the same namespace), and the
 * iproute2 name files (rt_tables, rt_protos, rt_scopes) read into a cache
 * that notices when they change. See names.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <sys/stat.h>
#include <net/if.h>

#include "names.h"
#include "box.h"
#include "opts.h"
#include "link.h"

/* What is wrong with an interface name (a format taking fn, key, name and
 * the longest length), or NULL when it is valid. */
static const char *ifname_problem(const char *name)
{
	size_t n = strlen(name), i;
	if (n == 0 || n >= IFNAMSIZ)
		return "%s: %s '%s' must be 1 to %d bytes long";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "%s: %s '%s' is not a valid interface name";
	for (i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || isspace((unsigned char)name[i]))
			return "%s: %s '%s' may not contain '/', ':' or white space";
	return NULL;
}

void vn_check_ifname(lua_State *L, const char *name, const char *fn, const char *key)
{
	const char *why = ifname_problem(name);
	if (why)
		luaL_error(L, why, fn, key, name, IFNAMSIZ - 1);
}

/***
 * @module vnet.core
 */

/*** Whether a string is a valid interface name (1 to 15 bytes, no `/`,
 * `:` nor white space, not `.` or `..`): what the calls that take a name
 * raise for.
 * @function ifname_ok
 * @string name the name
 * @treturn boolean
 * @raise for a value that is not a string
 */

/* vnet.core.ifname_ok(name) -> boolean: whether name is a valid interface
 * name (what vn_check_ifname raises for); raises for a value that is not a
 * string. */
static int l_ifname_ok(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	lua_pushboolean(L, strlen(s) == n && !ifname_problem(s));
	return 1;
}

void vn_open_names(lua_State *L)
{
	lua_pushcfunction(L, l_ifname_ok);
	lua_setfield(L, -2, "ifname_ok");
}

/* The index of the link named name (valid): remembered within a batch,
 * else one ioctl. -ENODEV when there is none. */
static int name_ifindex(vn_ns *ns, const char *name)
{
	int idx;
	if ((idx = vn_batch_ifindex(ns, name, 0)) > 0)
		return idx;
	if ((idx = vn_sock_ifindex(ns, name)) <= 0)
		return -ENODEV;
	vn_batch_ifindex(ns, name, idx);
	return idx;
}

/* The link given at stack index sidx, described in errors as what or,
 * when what is NULL, as option 'key' (that text is made only to raise). A
 * link object must belong to the namespace of ns (the same namespace, not
 * only the same handle): its index means nothing elsewhere. */
static int ifindex_of(lua_State *L, int sidx, vn_ns *ns, const char *fn,
		      const char *what, const char *key)
{
	const char *name, *why;
	sidx = vn_absindex(L, sidx);
	switch (lua_type(L, sidx)) {
	case LUA_TNUMBER:
		/* the kernel's ifindex is a positive int */
		return (int)vn_int_at(L, sidx, fn, what, key, 1, 0x7fffffff);
	case LUA_TSTRING:
		name = vn_str_at(L, sidx, fn, what, key, 0, NULL);
		if ((why = ifname_problem(name)))
			return luaL_error(L, why, fn, vn_what_of(L, what, key), name, IFNAMSIZ - 1);
		return name_ifindex(ns, name);
	case LUA_TUSERDATA: {
		vn_ns *other;
		if (!luaL_testudata(L, sidx, "vnet.link"))
			break;
		if (vn_box_released(L, sidx))
			return luaL_error(L, "%s: %s is a released vnet.link", fn,
					  vn_what_of(L, what, key));
		vn_box_uv(L, sidx);
		other = (vn_ns *)luaL_testudata(L, -1, VN_NETNS);
		lua_pop(L, 1);
		if (ns && (!other || other->ino != ns->ino)) {
			what = vn_what_of(L, what, key);
			vn_link_desc(L, sidx);
			return luaL_error(L, "%s: %s: link %s belongs to another namespace",
					  fn, what, lua_tostring(L, -1));
		}
		return vn_link_ifindex(L, sidx);
	}
	default:
		break;
	}
	/* another vnet object is named by its type ("got vnet.addr") */
	what = vn_what_of(L, what, key);
	if (luaL_getmetafield(L, sidx, "__name") && lua_type(L, -1) == LUA_TSTRING)
		return luaL_error(L, "%s: %s must be a link, a name or an index, got %s", fn,
				  what, lua_tostring(L, -1));
	return luaL_error(L, "%s: %s must be a link, a name or an index, got %s", fn,
			  what, luaL_typename(L, sidx));
}

int vn_ifindex_at(lua_State *L, int sidx, vn_ns *ns, const char *fn, const char *what)
{
	return ifindex_of(L, sidx, ns, fn, what, NULL);
}

int vn_opt_ifindex(lua_State *L, int idx, vn_ns *ns, const char *fn, const char *key)
{
	int r;
	if (!vn_opt_get(L, idx, key))
		return 0;
	r = ifindex_of(L, -1, ns, fn, NULL, key);
	lua_pop(L, 1);
	return r;
}

/* ---- iproute2 name files -------------------------------------------- */
static const char *const rtdirs[] = { "/etc/iproute2", "/usr/share/iproute2",
				      "/usr/lib/iproute2", NULL };

/* The entries of one name file (rt_tables, rt_protos...) from every
 * directory iproute2 reads, in its order. Loaded once and kept; checked
 * again (a few stat calls) at most every 200 ms, so reading the table name of
 * a million routes costs no system calls. */
typedef struct rtn_entry { long id; char name[64]; } rtn_entry;
typedef struct rtn_cache {
	char file[32];
	rtn_entry *v;
	size_t n, cap;
	long long sig;          /* mtimes and sizes of what was read */
	struct timespec checked;
} rtn_cache;

static rtn_cache rtn_caches[8];  /* one per name file read */
static pthread_mutex_t rtn_lock = PTHREAD_MUTEX_INITIALIZER;

/* The caches live as long as the module: freed when it is unloaded. */
__attribute__((destructor)) static void rtn_free(void)
{
	size_t i;
	for (i = 0; i < sizeof rtn_caches / sizeof *rtn_caches; i++) {
		free(rtn_caches[i].v);
		memset(&rtn_caches[i], 0, sizeof rtn_caches[i]);
	}
}

static long long rtn_sig(const char *file)
{
	const char *const *d;
	char path[512];
	struct stat st;
	long long sig = 0;
	for (d = rtdirs; *d; d++) {
		snprintf(path, sizeof path, "%s/%s", *d, file);
		if (stat(path, &st) == 0)
			sig += (long long)st.st_mtim.tv_sec * 1000000007LL +
			       st.st_mtim.tv_nsec + st.st_size;
		snprintf(path, sizeof path, "%s/%s.d", *d, file);
		if (stat(path, &st) == 0)
			sig += (long long)st.st_mtim.tv_sec * 1000000009LL +
			       st.st_mtim.tv_nsec + st.st_nlink;
	}
	return sig;
}

static void rtn_add(rtn_cache *c, long id, const char *name)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		rtn_entry *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n].id = id;
	snprintf(c->v[c->n].name, sizeof c->v[c->n].name, "%.63s", name);
	c->n++;
}

static void rtn_read(rtn_cache *c, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char nm[256];
		char *p = line, *end;
		long v;
		while (isspace((unsigned char)*p)) p++;
		if (*p == '#' || !*p)
			continue;
		v = strtol(p, &end, 0);
		if (end == p || sscanf(end, " %255s", nm) != 1 || nm[0] == '#')
			continue;
		rtn_add(c, v, nm);
	}
	fclose(f);
}

static void rtn_load(rtn_cache *c)
{
	const char *const *d;
	char path[512];
	c->n = 0;
	for (d = rtdirs; *d; d++) {
		DIR *dir;
		struct dirent *e;
		snprintf(path, sizeof path, "%s/%s", *d, c->file);
		rtn_read(c, path);
		snprintf(path, sizeof path, "%s/%s.d", *d, c->file);
		if (!(dir = opendir(path)))
			continue;
		while ((e = readdir(dir))) {
			size_t n = strlen(e->d_name);
			char fp[900];
			if (n < 6 || strcmp(e->d_name + n - 5, ".conf"))
				continue;
			snprintf(fp, sizeof fp, "%s/%s", path, e->d_name);
			rtn_read(c, fp);
		}
		closedir(dir);
	}
}

/* Finds name (when non-NULL) or id in file; copies the match out. */
static int rtname_find(const char *file, const char *name, long id,
		       long *out_id, char *out_name, size_t outlen)
{
	rtn_cache *c = NULL;
	struct timespec now;
	size_t i;
	int found = 0;

	pthread_mutex_lock(&rtn_lock);
	for (i = 0; i < sizeof rtn_caches / sizeof *rtn_caches; i++)
		if (!rtn_caches[i].file[0] || !strcmp(rtn_caches[i].file, file)) {
			c = &rtn_caches[i];
			break;
		}
	if (c) {
		int pass, fresh = 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* a name not found is looked for again in the files as they are now */
		for (pass = 0; pass < 2 && !found; pass++) {
			if (pass && (fresh || !name))
				break;
			if (pass || !c->file[0] || now.tv_sec - c->checked.tv_sec > 1 ||
			    (now.tv_sec - c->checked.tv_sec) * 1000000000LL +
			    (now.tv_nsec - c->checked.tv_nsec) > 200000000LL) {
				long long sig = rtn_sig(file);
				if (!c->file[0] || sig != c->sig) {
					snprintf(c->file, sizeof c->file, "%s", file);
					c->sig = sig;
					rtn_load(c);
				}
				c->checked = now;
				fresh = 1;
			}
			for (i = 0; i < c->n && !found; i++)
				if (name ? !strcmp(c->v[i].name, name) : c->v[i].id == id) {
					*out_id = c->v[i].id;
					if (out_name)
						snprintf(out_name, outlen, "%s", c->v[i].name);
					found = 1;
				}
		}
	}
	pthread_mutex_unlock(&rtn_lock);
	return found;
}

/* The names iproute2 knows without its files, per file (an id may have two
 * names: the first is the one printed) */
typedef struct { const char *name; long id; } rt_builtin;
static const rt_builtin b_tables[] = {
	{ "unspec", 0 }, { "default", 253 }, { "main", 254 }, { "local", 255 }, { NULL, 0 }
};
static const rt_builtin b_protos[] = {
	{ "unspec", 0 }, { "redirect", 1 }, { "kernel", 2 }, { "boot", 3 }, { "static", 4 },
	{ "ra", 9 }, { "dhcp", 16 }, { "bgp", 186 }, { "isis", 187 }, { "ospf", 188 },
	{ "rip", 189 }, { "eigrp", 192 }, { NULL, 0 }
};
static const rt_builtin b_scopes[] = {
	{ "global", 0 }, { "universe", 0 }, { "site", 200 }, { "link", 253 }, { "host", 254 },
	{ "nowhere", 255 }, { NULL, 0 }
};

static const rt_builtin *builtin_of(const char *file)
{
	return !strcmp(file, "rt_tables") ? b_tables : !strcmp(file, "rt_protos") ? b_protos :
	       !strcmp(file, "rt_scopes") ? b_scopes : NULL;
}

/* the builtin name of id in b (NULL for none) */
static const char *builtin_name(const rt_builtin *b, long id)
{
	for (; b && b->name; b++)
		if (b->id == id)
			return b->name;
	return NULL;
}

void vn_push_scope(lua_State *L, int scope)
{
	const char *s = builtin_name(b_scopes, scope);
	if (s)
		lua_pushstring(L, s);
	else
		vn_push_rtname(L, "rt_scopes", scope);
}

int vn_opt_u8name(lua_State *L, int idx, const char *fn, const char *key,
		  const char *file, int *out)
{
	uint32_t v;
	if (!vn_opt_rtname(L, idx, fn, key, file, 255, &v))
		return 0;
	*out = (int)v;
	return 1;
}

long vn_rtname_lookup(const char *file, const char *name)
{
	const rt_builtin *b;
	lua_Integer n;
	long v;
	if (vn_parse_int(name, 0, 0xffffffffLL, &n))
		return (long)n;
	for (b = builtin_of(file); b && b->name; b++)
		if (!strcmp(b->name, name))
			return b->id;
	if (rtname_find(file, name, -1, &v, NULL, 0))
		return v;
	return -1;
}

void vn_push_rtname(lua_State *L, const char *file, long id)
{
	char name[256];
	const char *s = id != 0 ? builtin_name(builtin_of(file), id) : NULL;
	long v;
	if (s) {
		lua_pushstring(L, s);
		return;
	}
	if (id > 0 && rtname_find(file, NULL, id, &v, name, sizeof name))
		lua_pushstring(L, name);
	else
		lua_pushinteger(L, id);
}

int vn_opt_rtname(lua_State *L, int idx, const char *fn, const char *key,
		  const char *file, lua_Integer max, uint32_t *out)
{
	const char *s;
	lua_Integer n;
	long v;
	if (!vn_opt_get(L, idx, key))
		return 0;
	if (lua_type(L, -1) == LUA_TNUMBER) {
		*out = (uint32_t)vn_int_at(L, lua_gettop(L), fn, NULL, key, 0, max);
		lua_pop(L, 1);
		return 1;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "%s: option '%s' must be a number or a name (of %s), got %s",
			   fn, key, file, luaL_typename(L, -1));
	s = vn_str_at(L, lua_gettop(L), fn, NULL, key, 0, NULL);
	/* a number in a string is read whole and range-checked like a number
	 * (decimal, or 0x hex as iproute2 reads it): never "4294967296" as 0 */
	if (*s == '-' || isdigit((unsigned char)*s)) {
		if (!vn_parse_int(s, 0, max, &n)) {
			char buf[32];
			snprintf(buf, sizeof buf, "%lld", (long long)max);
			luaL_error(L, "%s: option '%s' must be a number between 0 and %s "
				   "or a name (of %s), got '%s'", fn, key, buf, file, s);
		}
		v = (long)n;
	} else if ((v = vn_rtname_lookup(file, s)) < 0 || v > max) {
		luaL_error(L, "%s: option '%s': unknown name '%s' (not in %s)", fn, key, s, file);
	}
	lua_pop(L, 1);
	*out = (uint32_t)v;
	return 1;
}

int vn_opt_table(lua_State *L, int idx, const char *fn, const char *key, uint32_t *out)
{
	return vn_opt_rtname(L, idx, fn, key, "rt_tables", 0xffffffffLL, out);
}

void vn_push_devdesc(lua_State *L, int sidx)
{
	if (lua_type(L, sidx) == LUA_TUSERDATA) {
		vn_link_desc(L, sidx);
	} else if (lua_type(L, sidx) == LUA_TNUMBER) {
		lua_pushvalue(L, sidx);           /* as Lua writes it, no cast */
		lua_tostring(L, -1);
	} else {
		lua_pushstring(L, lua_tostring(L, sidx));
	}
}

