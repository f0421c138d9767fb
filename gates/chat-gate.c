/*
 * chat-gate.c - line-oriented chat between nodes (DESIGN section 6): rooms
 * are broadcasts, /msg is unicast, and every sender is shown with the node
 * name that the mesh authenticated.  Owns the option table, the terminal
 * side (lines in on stdin, lines out on stdout) and the chat payload; the
 * command line is gate_cli.c's.
 *
 * Addresses, in INST(AP_CHAT, instance): this gate owns "chat.N:NICK"
 * (direct messages) and "chat.N:*" (the instance's broadcasts).
 *
 * Payload (UTF-8 text, no NUL; ROOM is 1..ROOM_MAX of [A-Za-z0-9._#+-],
 * TEXT 1..TEXT_MAX bytes of valid UTF-8 without a newline):
 *   "M ROOM\nTEXT"   a message to ROOM            broadcast
 *   "D\nTEXT"        a direct message             unicast to chat.N:NICK
 *   "W"              who is there?                broadcast
 *   "H ROOM"         here, in ROOM: answers a W   unicast to the asker
 * The sender's nick is the packet's source address; its node is the origin
 * cloud gives (ours when empty), never anything the sender wrote, so
 * NICK@NODE cannot be forged across nodes.  A source that is not a valid
 * nick (the rule `nick' follows: no '@', no space, ...) is counted and
 * dropped, so "a@b" cannot pose as nick a of node b.  Anything else -
 * unknown kind, bad room, bad UTF-8, too long, a broadcast kind sent
 * unicast or the reverse - is counted and dropped.
 *
 * Output, one line each, flushed (tests rely on these forms):
 *   "[ROOM] NICK@NODE: TEXT"     a message of the current room
 *   "[private] NICK@NODE: TEXT"  a direct message
 *   "* NICK@NODE in ROOM"        an answer to /who
 *   "! ..."                      an error
 * Control characters (C0, DEL, C1, and every bidirectional control:
 * U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) in anything
 * printed become '?', tabs become spaces: no terminal escapes get through,
 * and no text can reorder what the line shows.
 * Messages of other rooms and our own broadcasts coming back are not shown.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ev.h>

#include "addr.h"
#include "conf.h"
#include "gate_cli.h"
#include "gate_client.h"
#include "log.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define PROG "chat-gate"
#define NICK_MAX 32		/* a chat address is at most this long */
#define ROOM_MAX 32
#define TEXT_MAX 1000
#define PAYLOAD_MAX (2 + ROOM_MAX + 1 + TEXT_MAX)
#define IN_BUF_LEN 4096		/* a line of input, command included */
#define QUIT_DELAY_S 0.3	/* after /quit: let the last sends go out */
#define WHO_PER_S 5.0		/* answers to W at most this often */
#define WHO_BURST 10.0

enum chat_opt { O_NICK, O_ROOM, O_INSTANCE, O_LOG_LEVEL, O_DEBUG, O_SYSLOG, O_COUNT };

static const struct conf_opt chat_options[O_COUNT] = {
	[O_NICK] = { "nick", CONF_STR, CONF_REQUIRED, NULL, "NAME",
		"Nickname: 1 to 32 printable ASCII characters other than space, ':', '/', '*' and '@'." },
	[O_ROOM] = { "room", CONF_STR, 0, "lobby", "ROOM",
		"Room to start in: 1 to 32 of A-Z a-z 0-9 . _ # + -." },
	[O_INSTANCE] = { "instance", CONF_INT, 0, "0", "N",
		"Network id: only gates of the same instance talk to each other.", 0, 65535 },
	[O_LOG_LEVEL] = { "log_level", CONF_STR, 0, "info", "LEVEL",
		"error, warning, info or debug (logs go to stderr, chat to stdout)." },
	[O_DEBUG] = { "debug", CONF_STR, 0, "none", "SUBSYS,...",
		"Debug lines for these subsystems: core, conf, gate, data, all, none." },
	[O_SYSLOG] = { "syslog", CONF_BOOL, 0, "no", "BOOL",
		"Log to syslog (daemon facility) instead of stderr." },
};

struct chat_counters {
	uint64_t sent, received, shown, malformed, bad_nick, other_room, who_limited;
};

struct chat {
	struct ev_loop *loop;
	struct conf *conf;
	const char *sock_path;
	struct gate_client *gc;
	uint32_t inst;
	struct addr me;			/* chat.N:NICK */
	char room[ROOM_MAX + 1];
	ev_io in_io;
	ev_timer quit_timer;
	ev_signal sig_term, sig_int;
	bool quitting, discarding;	/* discarding: the rest of a too long line */
	double who_tokens;
	ev_tstamp who_last;
	struct chat_counters cnt;
	size_t in_len;
	char in[IN_BUF_LEN];
};

/* A parsed payload; pointers into the packet. */
struct chat_msg {
	char kind;			/* 'M', 'D', 'W' or 'H' */
	const char *room, *text;
	size_t room_len, text_len;
};

/* ---------------------------------------------------------------- text rules */

static bool nick_valid(const char *s, size_t len)
{
	if (len == 0 || len > NICK_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e || c == ':' || c == '/' || c == '*' || c == '@')
			return false;
	}
	return true;
}

static bool room_valid(const char *s, size_t len)
{
	if (len == 0 || len > ROOM_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("._#+-", c)))
			return false;
	}
	return true;
}

/* Length of the UTF-8 sequence at s (code point in *cp), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 :
		   (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	uint32_t c;

	if (n == 0 || n > len)
		return 0;
	c = n == 1 ? s[0] : s[0] & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Message text: 1..TEXT_MAX bytes of valid UTF-8, no NUL, no newline. */
static bool text_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;

	if (len == 0 || len > TEXT_MAX)
		return false;
	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_next(u + i, len - i, &cp);
		if (n == 0 || cp == 0 || cp == '\n')
			return false;
	}
	return true;
}

/* Not a control character: C0, DEL, C1 or a bidirectional control (the
 * Unicode Bidi_Control property: marks, embeddings, overrides, isolates). */
static bool cp_printable(uint32_t cp)
{
	return !(cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x061c ||
		 cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
		 (cp >= 0x2066 && cp <= 0x2069));
}

/* Print s (len bytes, valid UTF-8 or not) with every control character
 * replaced: '?' for them and for invalid bytes, ' ' for a tab. */
static void put_safe(FILE *f, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_next(u + i, len - i, &cp);
		if (n == 0) {
			n = 1;
			fputc('?', f);
		} else if (cp == '\t') {
			fputc(' ', f);
		} else if (!cp_printable(cp)) {
			fputc('?', f);
		} else {
			fwrite(u + i, 1, n, f);
		}
	}
}

/* ---------------------------------------------------------------- payload */

/* Parse and validate a payload (see the top). */
static bool chat_parse(const uint8_t *buf, size_t len, struct chat_msg *m)
{
	const char *s = (const char *)buf, *nl;

	memset(m, 0, sizeof(*m));
	if (len < 1 || len > PAYLOAD_MAX)
		return false;
	m->kind = s[0];
	if (m->kind == 'W')
		return len == 1;
	if (m->kind == 'D') {
		if (len < 2 || s[1] != '\n')
			return false;
		m->text = s + 2;
		m->text_len = len - 2;
		return text_valid(m->text, m->text_len);
	}
	if ((m->kind != 'M' && m->kind != 'H') || len < 3 || s[1] != ' ')
		return false;
	m->room = s + 2;
	nl = memchr(m->room, '\n', len - 2);
	m->room_len = nl ? (size_t)(nl - m->room) : len - 2;
	if (!room_valid(m->room, m->room_len))
		return false;
	if (m->kind == 'H')
		return nl == NULL;
	if (!nl)
		return false;
	m->text = nl + 1;
	m->text_len = len - (size_t)(m->text - s);
	return text_valid(m->text, m->text_len);
}

/* Encode; bytes written or 0.  room or text NULL where the kind has none. */
static size_t chat_encode(uint8_t *out, size_t cap, char kind, const char *room,
			  const char *text, size_t text_len)
{
	int n;

	if (room)
		n = snprintf((char *)out, cap, "%c %s%s", kind, room, text ? "\n" : "");
	else
		n = snprintf((char *)out, cap, "%c%s", kind, text ? "\n" : "");
	if (n < 0 || (size_t)n + text_len > cap)
		return 0;
	if (text)
		memcpy(out + n, text, text_len);
	return (size_t)n + text_len;
}

/* ---------------------------------------------------------------- output */

static void say_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say_error(const char *fmt, ...)
{
	va_list ap;

	fputs("! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* "NICK@NODE": the nick from the source address, the node from cloud. */
static void put_sender(struct chat *c, const struct gate_msg *m)
{
	const char *node = m->pkt.origin[0] ? m->pkt.origin : gate_client_node(c->gc);

	put_safe(stdout, (const char *)m->pkt.src.b, m->pkt.src.len);
	fputc('@', stdout);
	put_safe(stdout, node, strlen(node));
}

static void show(struct chat *c, const struct gate_msg *m, const struct chat_msg *cm)
{
	switch (cm->kind) {
	case 'M':
		fputc('[', stdout);
		put_safe(stdout, cm->room, cm->room_len);
		fputs("] ", stdout);
		break;
	case 'D':
		fputs("[private] ", stdout);
		break;
	case 'H':
		fputs("* ", stdout);
		break;
	}
	put_sender(c, m);
	if (cm->kind == 'H') {
		fputs(" in ", stdout);
		put_safe(stdout, cm->room, cm->room_len);
	} else {
		fputs(": ", stdout);
		put_safe(stdout, cm->text, cm->text_len);
	}
	fputc('\n', stdout);
	fflush(stdout);
	c->cnt.shown++;
}

/* ---------------------------------------------------------------- sending */

static bool chat_send(struct chat *c, const struct addr *dst, char kind, const char *room,
		      const char *text, size_t text_len)
{
	uint8_t buf[PAYLOAD_MAX + 1];
	size_t n = chat_encode(buf, sizeof(buf), kind, room, text, text_len);
	int r;

	if (!n) {
		say_error("message too long, not sent");
		return false;
	}
	r = gate_client_packet(c->gc, 0, c->inst, dst, &c->me, buf, n);
	if (r < 0) {
		if (r == -ENOTCONN)
			say_error("not connected to cloud, not sent");
		else
			say_error("not sent: %s", strerror(-r));
		return false;
	}
	c->cnt.sent++;
	return true;
}

static void addr_chat(struct addr *a, uint32_t inst, const char *nick, size_t len)
{
	memset(a, 0, sizeof(*a));
	a->inst = inst;
	a->len = (uint8_t)len;
	memcpy(a->b, nick, len);
}

static void send_text(struct chat *c, const char *text, size_t len, const struct addr *to)
{
	struct addr all = { .inst = c->inst };

	if (len > TEXT_MAX) {
		say_error("line too long: at most %d bytes of text", TEXT_MAX);
		return;
	}
	if (!text_valid(text, len)) {
		say_error("not valid UTF-8, not sent");
		return;
	}
	if (to)
		chat_send(c, to, 'D', NULL, text, len);
	else
		chat_send(c, &all, 'M', c->room, text, len);
}

/* ---------------------------------------------------------------- commands */

static void quit_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void chat_quit(struct chat *c)
{
	if (c->quitting)
		return;
	c->quitting = true;
	ev_io_stop(c->loop, &c->in_io);
	ev_timer_init(&c->quit_timer, quit_cb, QUIT_DELAY_S, 0.);
	ev_timer_start(c->loop, &c->quit_timer);
}

static void cmd_msg(struct chat *c, const char *args, size_t len)
{
	const char *sp = memchr(args, ' ', len);
	size_t nick_len = sp ? (size_t)(sp - args) : len;
	struct addr to;

	if (!sp || !nick_valid(args, nick_len) || sp + 1 == args + len) {
		say_error("usage: /msg NICK TEXT");
		return;
	}
	addr_chat(&to, c->inst, args, nick_len);
	send_text(c, sp + 1, len - nick_len - 1, &to);
}

static void cmd_join(struct chat *c, const char *args, size_t len)
{
	if (!room_valid(args, len)) {
		say_error("usage: /join ROOM (1 to %d of A-Z a-z 0-9 . _ # + -)", ROOM_MAX);
		return;
	}
	memcpy(c->room, args, len);
	c->room[len] = '\0';
	log_info(LOGS_CORE, "now in room %s", c->room);
}

/* "/word" or "/word args": true when line is that command; args after it. */
static bool is_cmd(const char *line, size_t len, const char *word, const char **args,
		   size_t *alen)
{
	size_t w = strlen(word);

	if (len < w || memcmp(line, word, w) || (len > w && line[w] != ' '))
		return false;
	*args = len > w ? line + w + 1 : line + len;
	*alen = len > w ? len - w - 1 : 0;
	return true;
}

static void handle_line(struct chat *c, const char *line, size_t len)
{
	struct addr all = { .inst = c->inst };
	const char *args;
	size_t alen;

	if (len && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return;
	if (line[0] != '/' || (len > 1 && line[1] == '/')) {
		size_t skip = line[0] == '/';	/* "//text" sends "/text" */
		send_text(c, line + skip, len - skip, NULL);
	} else if (is_cmd(line, len, "/msg", &args, &alen)) {
		cmd_msg(c, args, alen);
	} else if (is_cmd(line, len, "/join", &args, &alen)) {
		cmd_join(c, args, alen);
	} else if (is_cmd(line, len, "/who", &args, &alen) && alen == 0) {
		chat_send(c, &all, 'W', NULL, NULL, 0);
	} else if (is_cmd(line, len, "/quit", &args, &alen)) {
		chat_quit(c);
	} else {
		say_error("unknown command; try /join ROOM, /msg NICK TEXT, /who, /quit "
			  "(// starts a line with /)");
	}
}

/* ---------------------------------------------------------------- stdin */

static void input_lines(struct chat *c)
{
	char *start = c->in, *nl;
	size_t left = c->in_len;

	while (!c->quitting && (nl = memchr(start, '\n', left))) {
		size_t len = (size_t)(nl - start);

		if (!c->discarding)
			handle_line(c, start, len);
		c->discarding = false;
		left -= len + 1;
		start = nl + 1;
	}
	memmove(c->in, start, left);
	c->in_len = left;
	if (c->in_len == sizeof(c->in)) {
		if (!c->discarding)
			say_error("line too long: at most %d bytes of text", TEXT_MAX);
		c->discarding = true;
		c->in_len = 0;
	}
}

static void in_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct chat *c = container_of(w, struct chat, in_io);
	ssize_t n = read(STDIN_FILENO, c->in + c->in_len, sizeof(c->in) - c->in_len);

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		log_err(LOGS_CORE, "stdin: %s", strerror(errno));
		chat_quit(c);
		return;
	}
	if (n == 0) {
		if (c->in_len && !c->discarding)
			handle_line(c, c->in, c->in_len);	/* a last line without \n */
		c->in_len = 0;
		chat_quit(c);
		return;
	}
	c->in_len += (size_t)n;
	input_lines(c);
}

/* ---------------------------------------------------------------- receiving */

static bool who_answer_allowed(struct chat *c)
{
	ev_tstamp now = ev_now(c->loop);

	c->who_tokens += (now - c->who_last) * WHO_PER_S;
	if (c->who_tokens > WHO_BURST)
		c->who_tokens = WHO_BURST;
	c->who_last = now;
	if (c->who_tokens < 1.0)
		return false;
	c->who_tokens -= 1.0;
	return true;
}

static bool from_me(const struct chat *c, const struct gate_msg *m)
{
	return m->pkt.src.len == c->me.len && !memcmp(m->pkt.src.b, c->me.b, c->me.len) &&
	       (!m->pkt.origin[0] || !strcmp(m->pkt.origin, gate_client_node(c->gc)));
}

static void from_cloud(struct chat *c, const struct gate_msg *m)
{
	bool bcast = m->pkt.dst.len == 0;
	struct chat_msg cm;

	c->cnt.received++;
	if (m->pkt.inst != c->inst || m->pkt.src.len == 0 ||
	    !chat_parse(m->pkt.payload, m->pkt.len, &cm) ||
	    bcast != (cm.kind == 'M' || cm.kind == 'W')) {
		c->cnt.malformed++;
		log_dbg(LOGS_DATA, "malformed chat packet of %zu bytes from %s dropped",
			m->pkt.len, m->pkt.origin);
		return;
	}
	if (!nick_valid((const char *)m->pkt.src.b, m->pkt.src.len)) {
		c->cnt.bad_nick++;
		log_dbg(LOGS_DATA, "chat packet from %s with an invalid nick dropped",
			m->pkt.origin);
		return;
	}
	if (from_me(c, m))
		return;		/* our own broadcast, back from cloud */
	if (cm.kind == 'W') {
		if (!who_answer_allowed(c))
			c->cnt.who_limited++;
		else
			chat_send(c, &m->pkt.src, 'H', c->room, NULL, 0);
		return;
	}
	if (cm.kind == 'M' && (cm.room_len != strlen(c->room) ||
			       memcmp(cm.room, c->room, cm.room_len))) {
		c->cnt.other_room++;
		return;
	}
	show(c, m, &cm);
}

static void from_unreachable(struct chat *c, const struct gate_msg *m)
{
	if (m->unreach.inst != c->inst || m->unreach.len < 1 || m->unreach.head[0] != 'D')
		return;		/* only a direct message deserves a word */
	fputs("! no such nick: ", stdout);
	put_safe(stdout, (const char *)m->unreach.dst.b, m->unreach.dst.len);
	fputc('\n', stdout);
	fflush(stdout);
}

static void on_message(void *arg, const struct gate_msg *m)
{
	struct chat *c = arg;

	if (m->type == GM_PACKET)
		from_cloud(c, m);
	else if (m->type == GM_UNREACHABLE)
		from_unreachable(c, m);
}

static void on_connected(void *arg)
{
	struct chat *c = arg;
	struct prefix ps[2] = { { .a = { .inst = c->inst } } };
	int r;

	prefix_host(&ps[1], &c->me);
	r = gate_client_announce(c->gc, ANN_REPLACE, ps, 2);
	if (r < 0)
		log_warn(LOGS_GATE, "announcing: %s", strerror(-r));
}

static void on_disconnected(void *arg)
{
}

static const struct gate_client_ops chat_ops = {
	.connected = on_connected,
	.disconnected = on_disconnected,
	.message = on_message,
};

/* ---------------------------------------------------------------- command line */

/* Check the values the table cannot; false with err set. */
static bool chat_config(void *arg, const struct conf *conf, char *err, size_t errlen)
{
	struct chat *c = arg;
	const char *nick = conf_str(conf, O_NICK), *room = conf_str(conf, O_ROOM);

	if (!nick_valid(nick, strlen(nick)))
		return gate_cli_bad(conf_last(conf, O_NICK), "nick", err, errlen,
				    "'%s' is not a valid nickname", nick);
	if (!room_valid(room, strlen(room)))
		return gate_cli_bad(conf_last(conf, O_ROOM), "room", err, errlen,
				    "'%s' is not a valid room name", room);
	c->inst = INST(AP_CHAT, conf_int(conf, O_INSTANCE));
	addr_chat(&c->me, c->inst, nick, strlen(nick));
	snprintf(c->room, sizeof(c->room), "%s", room);
	return true;
}

static void chat_summary(void *arg, const struct conf *conf, const char *socket, FILE *f)
{
	const struct chat *c = arg;

	fprintf(f, "nick %s, room %s, instance %u", conf_str(conf, O_NICK), c->room,
		inst_net(c->inst));
}

static const struct gate_cli_spec chat_cli = {
	.prog = PROG,
	.synopsis = "SOCKET -nick NAME [-room ROOM] [-instance N] [-name value ...]",
	.about = "cloudvpn chat: lines typed on stdin go to the current room (or /msg NICK TEXT\n"
		 "to one nick); /join ROOM, /who and /quit are commands.  Messages are printed\n"
		 "on stdout as [ROOM] NICK@NODE: TEXT, NODE being the sender's authenticated\n"
		 "node.\n",
	.table = chat_options,
	.nopts = O_COUNT,
	.opt_log_level = O_LOG_LEVEL,
	.opt_debug = O_DEBUG,
	.opt_syslog = O_SYSLOG,
	.opt_user = -1,
	.opt_group = -1,
	.check = chat_config,
	.summary = chat_summary,
};

/* ---------------------------------------------------------------- main */

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void chat_start(struct chat *c)
{
	ev_signal *sigs[] = { &c->sig_term, &c->sig_int };
	int nums[] = { SIGTERM, SIGINT };

	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 2; i++) {
		ev_signal_init(sigs[i], signal_cb, nums[i]);
		ev_signal_start(c->loop, sigs[i]);
	}
	ev_io_init(&c->in_io, in_cb, STDIN_FILENO, EV_READ);
	ev_io_start(c->loop, &c->in_io);
	c->who_tokens = WHO_BURST;
	c->who_last = ev_now(c->loop);
}

int main(int argc, char **argv)
{
	static struct chat chat;
	struct chat *c = &chat;
	int status;

	if (!gate_cli_load(&chat_cli, c, argc, argv, &c->conf, &c->sock_path, &status))
		return status;
	c->loop = ev_default_loop(EVFLAG_AUTO);
	c->gc = gate_client_new(c->loop, c->sock_path, PROG, &chat_ops, c);
	if (!c->gc) {
		log_err(LOGS_CORE, "gate socket '%s': %s", c->sock_path, strerror(errno));
		return 1;
	}
	chat_start(c);
	ev_run(c->loop, 0);
	log_dbg(LOGS_CORE, "sent %llu, received %llu, shown %llu, malformed %llu, "
		"bad nicks %llu, other rooms %llu, who answers limited %llu",
		(unsigned long long)c->cnt.sent, (unsigned long long)c->cnt.received,
		(unsigned long long)c->cnt.shown, (unsigned long long)c->cnt.malformed,
		(unsigned long long)c->cnt.bad_nick, (unsigned long long)c->cnt.other_room,
		(unsigned long long)c->cnt.who_limited);
	gate_client_free(c->gc);
	conf_free(c->conf);
	return 0;
}
