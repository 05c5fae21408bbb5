/*
 * opts.c - strict option tables: unknown keys, and the readers of
 * integers (THE integer readers), booleans, strings and enumerations that
 * raise naming the function and the field. See opts.h.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

unsigned vn_opts_check(lua_State *L, int idx, const char *fn, const char *const keys[])
{
	unsigned has = 0;
	idx = vn_absindex(L, idx);
	if (!lua_istable(L, idx))
		luaL_error(L, "%s: options must be a table, got %s", fn,
			   luaL_typename(L, idx));
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *const *k;
		const char *s;
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING) {
			/* array part is allowed only where the caller reads it */
			if (lua_isinteger(L, -1)) continue;
			luaL_error(L, "%s: option keys must be strings", fn);
		}
		s = lua_tostring(L, -1);
		for (k = keys; *k; k++)
			if (strcmp(*k, s) == 0)
				break;
		if (!*k)
			luaL_error(L, "%s: unknown option '%s'", fn, s);
		if (k - keys < 32)
			has |= 1u << (k - keys);
	}
	if (lua_getmetatable(L, idx)) {
		lua_pop(L, 1);
		has = ~0u;
	}
	return has;
}

int vn_opt_get(lua_State *L, int idx, const char *key)
{
	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	return 1;
}

/* The description of a value in errors: what, or "option 'key'" when what
 * is NULL (made only to raise; it stays on the stack). */
const char *vn_what_of(lua_State *L, const char *what, const char *key)
{
	return what ? what : lua_pushfstring(L, "option '%s'", key);
}

/* Whether the number at sidx is an integer lua_Integer holds (1.0 is, 1.5,
 * NaN, inf and 2^63 are not); *out gets it. Never raises. */
int vn_num_integer(lua_State *L, int sidx, lua_Integer *out)
{
#if LUA_VERSION_NUM >= 503
	int ok = 0;
	lua_Integer v = lua_tointegerx(L, sidx, &ok);
	if (!ok)
		return 0;
	*out = v;
	return 1;
#else
	lua_Number n = lua_tonumber(L, sidx);
	/* the comparisons are false for NaN; the cast is defined in range */
	if (!(n >= -9223372036854775808.0 && n < 9223372036854775808.0) ||
	    n != (lua_Number)(long long)n)
		return 0;
	*out = (lua_Integer)(long long)n;
	return 1;
#endif
}

/* Raises "<fn>: <what> must be an integer between min and max, got v". */
static int int_fail(lua_State *L, int sidx, const char *fn, const char *what,
		    lua_Integer min, lua_Integer max)
{
	char buf[96];
	sidx = vn_absindex(L, sidx);
	snprintf(buf, sizeof buf, "between %lld and %lld", (long long)min, (long long)max);
	if (lua_type(L, sidx) == LUA_TNUMBER) {
		lua_pushvalue(L, sidx);
		return luaL_error(L, "%s: %s must be an integer %s, got %s", fn, what, buf,
				  lua_tostring(L, -1));
	}
	if (lua_type(L, sidx) == LUA_TSTRING)
		return luaL_error(L, "%s: %s must be an integer %s, got string '%s'", fn,
				  what, buf, lua_tostring(L, sidx));
	return luaL_error(L, "%s: %s must be an integer %s, got %s", fn, what, buf,
			  luaL_typename(L, sidx));
}

/* The integer at sidx in [min, max]; raises naming what (or option key). */
lua_Integer vn_int_at(lua_State *L, int sidx, const char *fn, const char *what,
			  const char *key, lua_Integer min, lua_Integer max)
{
	lua_Integer v = 0;
	if (lua_type(L, sidx) != LUA_TNUMBER || !vn_num_integer(L, sidx, &v) ||
	    v < min || v > max)
		int_fail(L, sidx, fn, vn_what_of(L, what, key), min, max);
	return v;
}

lua_Integer vn_check_int(lua_State *L, int sidx, const char *fn, const char *what,
			 lua_Integer min, lua_Integer max)
{
	return vn_int_at(L, vn_absindex(L, sidx), fn, what, NULL, min, max);
}

int vn_parse_int(const char *s, lua_Integer min, lua_Integer max, lua_Integer *out)
{
	unsigned long long v = 0;
	const char *p = s;
	int neg = 0;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
		for (p += 2; isxdigit((unsigned char)*p); p++) {
			if (v > (~0ULL >> 4))
				return 0;
			v = v * 16 + (unsigned)(isdigit((unsigned char)*p) ? *p - '0' :
						 (tolower((unsigned char)*p) - 'a' + 10));
		}
	} else {
		for (; isdigit((unsigned char)*p); p++) {
			if (v > (~0ULL - 9) / 10)
				return 0;
			v = v * 10 + (unsigned)(*p - '0');
		}
	}
	if (*p || v > (neg ? 9223372036854775808ULL : 9223372036854775807ULL))
		return 0;
	if (!neg)
		*out = (lua_Integer)v;
	else if (v == 9223372036854775808ULL)
		*out = (lua_Integer)(-9223372036854775807LL - 1);
	else
		*out = -(lua_Integer)v;
	return *out >= min && *out <= max;
}

int vn_opt_int(lua_State *L, int idx, const char *fn, const char *key,
	       lua_Integer min, lua_Integer max, lua_Integer *out)
{
	if (!vn_opt_get(L, idx, key))
		return 0;
	*out = vn_int_at(L, lua_gettop(L), fn, NULL, key, min, max);
	lua_pop(L, 1);
	return 1;
}

int vn_opt_bool(lua_State *L, int idx, const char *fn, const char *key, int *out)
{
	if (!vn_opt_get(L, idx, key))
		return 0;
	if (!lua_isboolean(L, -1))
		luaL_error(L, "%s: option '%s' must be a boolean, got %s", fn, key,
			   luaL_typename(L, -1));
	*out = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return 1;
}

/* The string at sidx, checked (see vn_check_str); *lenp gets its length. */
const char *vn_str_at(lua_State *L, int sidx, const char *fn, const char *what,
			  const char *key, size_t maxlen, size_t *lenp)
{
	const char *s;
	size_t len;
	if (lua_type(L, sidx) != LUA_TSTRING)
		luaL_error(L, "%s: %s must be a string, got %s", fn, vn_what_of(L, what, key),
			   luaL_typename(L, sidx));
	s = lua_tolstring(L, sidx, &len);
	if (strlen(s) != len)
		luaL_error(L, "%s: %s may not contain a NUL byte", fn, vn_what_of(L, what, key));
	if (maxlen && len > maxlen)
		luaL_error(L, "%s: %s is longer than %d bytes", fn, vn_what_of(L, what, key),
			   (int)maxlen);
	if (lenp)
		*lenp = len;
	return s;
}

const char *vn_check_str(lua_State *L, int sidx, const char *fn, const char *what,
			 size_t maxlen)
{
	return vn_str_at(L, vn_absindex(L, sidx), fn, what, NULL, maxlen, NULL);
}

const char *vn_opt_str(lua_State *L, int idx, const char *fn, const char *key,
		       char *buf, size_t size)
{
	const char *s;
	size_t len;
	if (!vn_opt_get(L, idx, key))
		return NULL;
	s = vn_str_at(L, lua_gettop(L), fn, NULL, key, size - 1, &len);
	memcpy(buf, s, len + 1);
	lua_pop(L, 1);
	return buf;
}

int vn_opt_enum(lua_State *L, int idx, const char *fn, const char *key,
		const char *const names[], int *out)
{
	const char *s;
	int i;
	if (!vn_opt_get(L, idx, key))
		return 0;
	s = vn_str_at(L, lua_gettop(L), fn, NULL, key, 0, NULL);  /* stays on the stack */
	for (i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0) {
			lua_pop(L, 1);
			*out = i;
			return 1;
		}
	lua_pushfstring(L, "%s: option '%s' must be one of", fn, key);
	for (i = 0; names[i]; i++)
		lua_pushfstring(L, "%s '%s'", i ? "," : "", names[i]);
	lua_pushfstring(L, ", got '%s'", s);
	lua_concat(L, i + 2);
	return lua_error(L);
}

