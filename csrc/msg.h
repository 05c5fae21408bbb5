/*
 * msg.h - the pieces every hand-written rtnetlink message of vnet.core
 * shares (routes, nexthops, neighbours, fdb entries, bridge VLANs,
 * altnames, namespace ids, link kinds): one attribute walker that indexes
 * a message's attributes by type (and fills a view of a message with it),
 * readers of fixed-size payloads that never read past a short attribute,
 * and the writers of a request's start and of one attribute into a
 * message buffer the caller sized.
 */
#ifndef VNET_MSG_H
#define VNET_MSG_H

#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* Indexes the attributes that follow a family header of hdrlen bytes in the
 * payload m (len bytes): tb[t] is the first attribute of type t (t <= max),
 * NULL where there is none. A payload shorter than its header has none. */
static inline void vn_attrs_index(const void *m, size_t len, size_t hdrlen,
				  const struct rtattr **tb, unsigned max)
{
	const struct rtattr *a;
	unsigned int left;
	memset(tb, 0, (max + 1) * sizeof *tb);
	if (len < NLMSG_ALIGN(hdrlen))
		return;
	left = (unsigned int)(len - NLMSG_ALIGN(hdrlen));
	a = (const struct rtattr *)((const char *)m + NLMSG_ALIGN(hdrlen));
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		unsigned t = a->rta_type & NLA_TYPE_MASK;
		if (t <= max && !tb[t])
			tb[t] = a;
	}
}

/* Fills the view v of the payload m (len bytes): a struct whose member h
 * points at the family header and whose array a indexes the attributes
 * that follow it (vn_attrs_index, up to the last type a has room for). */
#define vn_view_parse(v, m, len) ((v)->h = (const void *)(m),			\
	vn_attrs_index((m), (len), sizeof *(v)->h, (v)->a,			\
		       (unsigned)(sizeof (v)->a / sizeof *(v)->a - 1)))

/* The nested attribute of type t inside a, or NULL. */
static inline const struct rtattr *vn_rta_nested(const struct rtattr *a, unsigned t)
{
	unsigned int left;
	if (!a)
		return NULL;
	left = RTA_PAYLOAD(a);
	for (a = (const struct rtattr *)RTA_DATA(a); RTA_OK(a, left); a = RTA_NEXT(a, left))
		if ((a->rta_type & NLA_TYPE_MASK) == t)
			return a;
	return NULL;
}

/* The payload of a as a u32 / u16 (0 for NULL or a short attribute). */
static inline uint32_t vn_rta_u32(const struct rtattr *a)
{
	uint32_t v = 0;
	if (a && RTA_PAYLOAD(a) >= sizeof v)
		memcpy(&v, RTA_DATA(a), sizeof v);
	return v;
}

static inline unsigned vn_rta_u16(const struct rtattr *a)
{
	uint16_t v = 0;
	if (a && RTA_PAYLOAD(a) >= sizeof v)
		memcpy(&v, RTA_DATA(a), sizeof v);
	return v;
}

/* Appends attribute type with len bytes of data to the message h (whose
 * buffer has room) and returns it. */
static inline struct rtattr *vn_rta_put(struct nlmsghdr *h, int type, const void *data,
					size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static inline void vn_rta_put_u32(struct nlmsghdr *h, int type, uint32_t v)
{
	vn_rta_put(h, type, &v, sizeof v);
}

/* The same for an optional value: nothing when v is 0 (not given). */
static inline void vn_rta_put_u32_opt(struct nlmsghdr *h, int type, uint32_t v)
{
	if (v)
		vn_rta_put_u32(h, type, v);
}

/* Clears the size bytes of the buffer h and starts there the request of
 * type and flags (NLM_F_REQUEST is added): its header and a family header
 * of hdrlen bytes, which it returns. */
static inline void *vn_msg_begin(struct nlmsghdr *h, size_t size, int type, int flags,
				 size_t hdrlen)
{
	memset(h, 0, size);
	h->nlmsg_len = NLMSG_LENGTH(hdrlen);
	h->nlmsg_type = (unsigned short)type;
	h->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
	return NLMSG_DATA(h);
}

/* Starts the link request of type (RTM_SETLINK...) in the zeroed buffer h:
 * its header and an ifinfomsg of family for ifindex, which it returns. */
static inline struct ifinfomsg *vn_ifi_msg(struct nlmsghdr *h, int type, int family,
					   int ifindex)
{
	struct ifinfomsg *ifi = (struct ifinfomsg *)NLMSG_DATA(h);
	h->nlmsg_len = NLMSG_LENGTH(sizeof *ifi);
	h->nlmsg_type = (unsigned short)type;
	h->nlmsg_flags = NLM_F_REQUEST;
	ifi->ifi_family = (unsigned char)family;
	ifi->ifi_index = ifindex;
	return ifi;
}

/* Ends the nested attribute a (opened with vn_rta_put(h, T | NLA_F_NESTED,
 * NULL, 0)): it holds what was appended to h since. */
static inline void vn_rta_end(struct nlmsghdr *h, struct rtattr *a)
{
	a->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)a);
}

#endif
