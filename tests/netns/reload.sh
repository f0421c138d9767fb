#!/usr/bin/env bash
# reload.sh - a re-reads its configuration on SIGHUP and `cloudctl reload':
# an added `connect' links up, a removed one goes down and stays down, a
# bad new config is refused while a keeps running as it was; `cloudctl
# log-level' switches debug lines on at run time.
. "$(dirname "$0")/lib.sh"
e2e_begin
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
node_conf a			# no connect yet
node_conf b			# b never connects: links exist only when a wants them
start_node a
start_node b
check "no link at start" never_for 1 eval '! up_is a 0'
a_pid=$(node_pid a)

reloaded() { log_new a "reloaded configuration"; }

# --- SIGHUP with a new connect
conf_add a "connect $(addr4 b) $PORT"
log_mark a
signal_node a HUP
check "SIGHUP: a logs reloaded configuration" wait_for 3 reloaded
check "SIGHUP: the added connect links a to b" wait_links a 1 5
check "SIGHUP: b sees a" wait_links b 1 2
id=$(link_id a b)

# --- a bad config is refused; nothing changes
conf_add a "no_such_option 1"
log_mark a
signal_node a HUP
check "bad config: a logs reload failed" wait_for 3 log_new a "reload failed"
check "bad config: the error names the file and line" \
	wait_for 1 log_new a "cloud.conf:[0-9]+"
check "bad config: a keeps running" node_alive a
check "bad config: the link stays, the same one" \
	always_for 1 eval '[ "$(link_id a b)" = "$id" ]'
log_mark a
check "bad config: cloudctl reload reports the error (exit 1)" \
	eval 'out=$(ctl a reload 2>&1); [ $? = 1 ] && [[ $out == *no_such_option* ]]'
check "bad config: still the same link" test "$(link_id a b)" = "$id"
conf_del a "^no_such_option"

# --- cloudctl reload of a good config
log_mark a
check "cloudctl reload: exit 0" ctl a reload
check "cloudctl reload: a logs reloaded configuration" wait_for 3 reloaded
check "cloudctl reload: unchanged connect keeps the same link" \
	always_for 1 eval '[ "$(link_id a b)" = "$id" ]'

# --- log-level at run time
check_not "no link debug lines yet" log_has a "debug +link:"
check "cloudctl log-level debug link: exit 0" ctl a log-level debug link
check "debug link lines appear" wait_for 3 log_has a "debug +link:"
check_not "no debug lines of other subsystems" log_has a "debug +(route|gate|ctl|core|conf):"
check "cloudctl log-level with a bad level: error, exit 1" \
	eval 'out=$(ctl a log-level loud 2>&1); [ $? = 1 ] && [[ $out == error:* ]]'
check "cloudctl with an unknown command: error, exit 1" \
	eval 'out=$(ctl a frobnicate 2>&1); [ $? = 1 ] && [[ $out == error:* ]]'

# --- remove the connect: the link goes down and stays down
conf_del a "^connect "
log_mark a
signal_node a HUP
check "connect removed: a logs reloaded configuration" wait_for 3 reloaded
check "connect removed: a's link goes down" wait_links a 0 3
check "connect removed: b's link goes down" wait_links b 0 3
check "connect removed: it stays down (3 s)" \
	never_for 3 eval '! up_is a 0 || ! up_is b 0'
check "connect removed: a's status has no connect target" status_get a '.connect | length == 0'
check "a was never restarted" test "$(node_pid a)" = "$a_pid"

finish
