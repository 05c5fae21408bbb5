# vnet - Linux virtual networks from Lua, over libnl-3.
#
#   make                 build vnet/core.so for Lua 5.4
#   make LUA=luajit      build for LuaJIT (also LUA=lua5.1, lua5.3)
#   make install         install under $(DESTDIR)$(PREFIX)
#   make demo            install what is missing, run examples/netns_bridge.lua
#   make test            install what is missing, run every test tier
#   make bench           benchmarks side by side with ip, ip -batch, pyroute2
#   make dist            the release: tarball, rockspec and rocks server in build/dist
#   make doc             the reference manual (LDoc) in build/doc

LUA        ?= lua5.4
LUA_PC     ?= $(if $(filter luajit,$(LUA)),luajit,$(LUA))
PREFIX     ?= /usr/local
LUA_VER    ?= $(if $(filter luajit lua5.1,$(LUA)),5.1,$(patsubst lua%,%,$(LUA)))
LUA_LIBDIR ?= $(PREFIX)/lib/lua/$(LUA_VER)
LUA_SHAREDIR ?= $(PREFIX)/share/lua/$(LUA_VER)
BUILD      ?= build/$(LUA)

LUA_CFLAGS ?= $(shell pkg-config --cflags $(LUA_PC) 2>/dev/null)
NL_CFLAGS  ?= $(shell pkg-config --cflags libnl-3.0 libnl-route-3.0 2>/dev/null || echo -I/usr/include/libnl3)
NL_LIBS    ?= $(shell pkg-config --libs libnl-3.0 libnl-route-3.0 2>/dev/null || echo -lnl-route-3 -lnl-3)
CC         ?= cc
CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes
XCFLAGS    := -std=gnu11 -fPIC -fvisibility=hidden $(WARN) $(NL_CFLAGS) $(LUA_CFLAGS)
XLDFLAGS   := -shared $(NL_LIBS)

SRCS       := $(wildcard csrc/*.c)
OBJS       := $(SRCS:csrc/%.c=$(BUILD)/%.o)
HDRS       := $(wildcard csrc/*.h)
SO         := $(BUILD)/vnet/core.so

.PHONY: all install uninstall clean test demo bench deps check-symbols dist doc
all: $(SO)
	@mkdir -p vnet && cp $(SO) vnet/core.so.tmp && mv vnet/core.so.tmp vnet/core.so

$(BUILD)/%.o: csrc/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(XCFLAGS) -c $< -o $@

$(SO): $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(XLDFLAGS)

install: $(SO)
	install -d $(DESTDIR)$(LUA_LIBDIR)/vnet $(DESTDIR)$(LUA_SHAREDIR)/vnet
	install -m 0755 $(SO) $(DESTDIR)$(LUA_LIBDIR)/vnet/core.so
	install -m 0644 lua/vnet.lua $(DESTDIR)$(LUA_SHAREDIR)/vnet.lua
	$(if $(wildcard lua/vnet/*.lua),install -m 0644 $(wildcard lua/vnet/*.lua) $(DESTDIR)$(LUA_SHAREDIR)/vnet/)
	install -d $(DESTDIR)$(LUA_SHAREDIR)/vnet/topology
	install -m 0644 lua/vnet/topology/gen.lua $(DESTDIR)$(LUA_SHAREDIR)/vnet/topology/gen.lua

uninstall:
	rm -rf $(DESTDIR)$(LUA_LIBDIR)/vnet $(DESTDIR)$(LUA_SHAREDIR)/vnet \
	       $(DESTDIR)$(LUA_SHAREDIR)/vnet.lua

# Only luaopen_vnet_core may be exported.
check-symbols: $(SO)
	@syms=$$(nm -D --defined-only $(SO) | awk '$$2 == "T" {print $$3}'); \
	if [ "$$syms" != "luaopen_vnet_core" ]; then \
	  echo "unexpected exported symbols: $$syms"; exit 1; fi

deps:
	@sh tools/deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	LUA_PATH="lua/?.lua;;" LUA_CPATH="./?.so;;" $(LUA) examples/netns_bridge.lua

test: deps
	@sh tools/test.sh

bench:
	@sh tools/deps.sh python3-pyroute2 mininet bridge-utils time
	@$(MAKE) --no-print-directory all
	@sh bench/run

# The release of the version in csrc/core.c (VNET_VERSION): HEAD's tracked
# files as build/dist/vnet-X.Y.Z.tar.gz, rockspec/vnet-X.Y.Z-1.rockspec
# brought up to date, and build/dist made a rocks server (tools/dist.sh).
dist:
	@sh tools/dist.sh build/dist

# The reference manual (config.ld): HTML in $(DOC), from the doc comments.
DOC ?= build/doc
doc:
	@command -v ldoc >/dev/null || sh tools/deps.sh
	ldoc -d $(DOC) .

clean:
	rm -rf build vnet
