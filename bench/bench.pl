#!/usr/bin/perl
# `make bench`: what mod_certauthz costs next to the alternatives, measured
# in one run on this machine, written to docs/PERFORMANCE.md.
#
#   1. micro: build/bench/micro (src/ alone), wall time and callgrind
#      instructions per operation;
#   2. keep-alive: ab -k with a client certificate against one httpd
#      (mpm_event) with a location per variant, rounds interleaved
#      (A B C A B C ...), medians and ratios;
#   3. new connections: ab without -k, likewise;
#   4. memory and start-up: one httpd per (MPM, revocation set-up).
#   5. callgrind on httpd: instructions per request, whole connection and authorization
#      phase, and the part of it spent in ap_ssl_var_lookup.
#
# Environment: BENCH_QUICK=1 (short check run), BENCH_SECTIONS (below), BENCH_ENTRIES (default
# 1000000), BENCH_ROUNDS, BENCH_SECONDS (per ab run), BENCH_CONCURRENCY,
# BENCH_OUT (default docs/PERFORMANCE.md; BENCH_QUICK writes
# build/bench/PERFORMANCE.quick.md unless BENCH_OUT says otherwise),
# BENCH_KA_ONLY=1 (throughput: keep-alive rounds only), BENCH_CG_TOGGLE and
# BENCH_CG_EXTRA (callgrind: the function collected, more functions shown).
#
# Every httpd started here is a child of this script, in the foreground; all
# are stopped on exit, on error and on Ctrl-C.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Socket::SSL;
use POSIX qw(WNOHANG strftime);
use Time::HiRes qw(time sleep);

$| = 1;
my $TOP = abs_path(dirname(abs_path($0)) . '/..');
chdir $TOP or die "bench: cannot cd to $TOP: $!\n";

my $QUICK = $ENV{BENCH_QUICK} ? 1 : 0;
my $ENTRIES = $ENV{BENCH_ENTRIES} || 1_000_000;
my $ROUNDS = $ENV{BENCH_ROUNDS} || ($QUICK ? 3 : 9);
my $SECONDS = $ENV{BENCH_SECONDS} || ($QUICK ? 1 : 3);
my $CONC = $ENV{BENCH_CONCURRENCY} || 8;
my $OUT = $ENV{BENCH_OUT}
    || ($QUICK ? 'build/bench/PERFORMANCE.quick.md' : 'docs/PERFORMANCE.md');
# Relative to the top of the tree unless absolute.
$OUT = "$TOP/$OUT" unless $OUT =~ m{^/};
my $BUILD = "$TOP/build/bench";
my $LISTS = "$BUILD/lists";
my $PKI = "$BUILD/pki";
my $MICRO = "$BUILD/micro";
my $GENLISTS = "$BUILD/genlists";
my $MODULE = "$TOP/.libs/mod_certauthz.so";

my $APXS = $ENV{APXS} || first_cmd('apxs', 'apxs2')
    or fail("apxs not found (apache2-dev)");
my $HTTPD = $ENV{HTTPD}
    || (qx{$APXS -q SBINDIR} =~ s/\s+//r) . '/' . (qx{$APXS -q TARGET} =~ s/\s+//r);
my $LIBEXEC = qx{$APXS -q LIBEXECDIR} =~ s/\s+//r;
my $AB = first_cmd('ab') or fail("ab not found (apt-get install apache2-utils)");
my $NPROC = qx{nproc} =~ s/\s+//r;
# With two or more CPUs, httpd and ab get one each: ab (one thread) then
# never takes cycles from the server it measures, and the server's cost per
# request, not the scheduler, decides the figures.
# BENCH_PIN=0 turns this off.
my $PIN = ($NPROC >= 2 && first_cmd('taskset')
           && ($ENV{BENCH_PIN} // 1)) ? 1 : 0;
my @HTTPD_PIN = $PIN ? ('taskset', '-c', '1') : ();
my @AB_PIN = $PIN ? ('taskset', '-c', '0') : ();

-x $HTTPD or fail("httpd not found at $HTTPD");
-f $MODULE or fail("$MODULE missing: run make first");
-x $MICRO && -x $GENLISTS or fail("build/bench tools missing: make bench-tools");

my (%running, $RUN);    # pid => description; the temporary run directory
my $started = time;
my $load_before = loadavg();

$SIG{INT} = $SIG{TERM} = $SIG{HUP} = $SIG{PIPE} = sub { fail("interrupted") };
END { cleanup() }

sub first_cmd
{
    for my $c (@_) {
        my $p = qx{command -v $c 2>/dev/null};
        chomp $p;
        return $p if $p ne '';
    }
    return undef;
}

sub fail
{
    my $msg = shift;
    print STDERR "bench: $msg\n";
    cleanup();
    exit 1;
}

sub cleanup
{
    for my $pid (keys %running) {
        kill 'TERM', $pid;
    }
    for my $pid (keys %running) {
        my $deadline = time + 10;
        while (waitpid($pid, WNOHANG) == 0 && time < $deadline) {
            sleep 0.05;
        }
        kill 'KILL', $pid if kill 0, $pid;
        waitpid($pid, 0);
        delete $running{$pid};
    }
    if ($RUN && -d $RUN && !$ENV{BENCH_KEEP}) {
        remove_tree($RUN);
        $RUN = undef;
    }
}

sub say { print @_, "\n"; }

# Other work on the machine skews every figure; the note says how busy it
# was.
sub loadavg
{
    open(my $f, '<', '/proc/loadavg') or return '?';
    my ($one, $five) = split ' ', scalar <$f>;
    return "$one (1 min), $five (5 min)";
}

sub median
{
    my @v = sort { $a <=> $b } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub run_capture
{
    my @cmd = @_;
    open(my $fh, '-|', @cmd) or fail("cannot run $cmd[0]: $!");
    local $/;
    my $out = <$fh>;
    close $fh;
    return ($? >> 8, $out // '');
}

# ------------------------------------------------------------------
# Inputs: the test PKI and the 1M-entry lists, cached under build/bench.

sub prepare_inputs
{
    if (!-f "$PKI/.done") {
        say "bench: generating the PKI in $PKI";
        remove_tree($PKI);
        system('sh', 't/pki/mkpki.sh', $PKI) == 0
            or fail("t/pki/mkpki.sh failed");
    }
    # ab -E takes the certificate and its key in one file.
    if (!-f "$PKI/client.pem") {
        open(my $o, '>', "$PKI/client.pem") or fail("$PKI/client.pem: $!");
        for my $f ("$PKI/client.crt", "$PKI/client.key") {
            open(my $i, '<', $f) or fail("$f: $!");
            print {$o} <$i>;
        }
        close $o;
    }
    make_path($LISTS);
    # The lists depend on the CA that signs the CRL: regenerate when the PKI
    # is newer.
    my $crl = "$LISTS/crl-$ENTRIES.pem";
    if (!-f $crl || (stat $crl)[9] < (stat "$PKI/ca.crt")[9]) {
        say "bench: generating $ENTRIES-entry lists in $LISTS";
        my $t = time;
        system($GENLISTS, $LISTS, $ENTRIES, "$PKI/ca.crt", "$PKI/ca.key") == 0
            or fail("genlists failed");
        say sprintf("bench: lists written in %.1f s", time - $t);
    }
}

# ------------------------------------------------------------------
# 1. Micro

my %micro;          # name => {ns => , ir => , skip => }

sub micro_benchmarks
{
    say "bench: micro (src/ alone)";
    my @args = ('-l', $LISTS, '-e', $ENTRIES, '-r', $QUICK ? 3 : 7);
    my ($rc, $out) = run_capture($MICRO, @args);
    $rc == 0 or fail("micro failed:\n$out");
    for (split /\n/, $out) {
        if (/^(\S+) ([\d.]+) (ns|ms)\/op$/) {
            $micro{$1}{ns} = $3 eq 'ms' ? $2 * 1e6 : $2;
        }
        elsif (/^(\S+) skip (.*)$/) {
            $micro{$1}{skip} = $2;
        }
        print "  $_\n";
    }
    # Instructions per operation: only the section's loop function is
    # collected, so set-up (certificate generation, list loading for the
    # lookup sections) does not count.  Loads run under valgrind on
    # 100,000-entry lists (a load is linear in the entries, and 1M entries
    # under valgrind take minutes), scaled to $ENTRIES.
    my $vg = first_cmd('valgrind') or return;
    my $small = $ENTRIES > 100_000 ? 100_000 : $ENTRIES;
    if (grep { /^load-/ && !$micro{$_}{skip} } keys %micro) {
        -f "$LISTS/plain-$small.txt" && -f "$LISTS/crl-$small.der"
            or system($GENLISTS, $LISTS, $small, "$PKI/ca.crt", "$PKI/ca.key") == 0
            or fail("genlists failed");
    }
    make_path("$BUILD/callgrind");
    for my $name (sort keys %micro) {
        next if $micro{$name}{skip};
        my $load = $name =~ /^load-/;
        my $n = $load ? 1 : $name =~ /^parse/ ? 200 : 20000;
        my $scale = $load ? $ENTRIES / $small : 1;
        my @a = ('-l', $LISTS, '-e', $load ? $small : $ENTRIES);
        my $cg = "$BUILD/callgrind/micro.$name";
        my ($rc2, $o2) = run_capture('sh', '-c',
            "valgrind --tool=callgrind --callgrind-out-file=$cg "
            . "--toggle-collect='*_loop' $MICRO @a -c $n $name 2>&1");
        if ($rc2 == 0 && $o2 =~ /I\s+refs:\s+([\d,]+)/) {
            (my $ir = $1) =~ s/,//g;
            $micro{$name}{ir} = $ir / $n * $scale;
            printf "  %s %.0f instructions/op (callgrind%s)\n", $name,
                $micro{$name}{ir}, $load ? ", $small entries scaled" : '';
        }
        else {
            fail("callgrind of micro $name failed:\n$o2");
        }
    }
}

# ------------------------------------------------------------------
# httpd configurations

# What the module in this build provides; a variant needing what is missing
# is reported as n/a rather than failing the whole run.
my %have;

sub free_port
{
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, Proto => 'tcp')
        or fail("cannot find a free port: $!");
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub new_run_dir
{
    # The children run as nobody when we are root: everything they read
    # (revocation files are re-read by each child) must be world-readable.
    $RUN = tempdir('/tmp/certauthz-bench.XXXXXX');
    chmod 0755, $RUN;
    make_path("$RUN/htdocs", "$RUN/files");
    for my $loc (qw(all expr subj valid)) {
        open(my $f, '>', "$RUN/htdocs/$loc") or fail("$RUN/htdocs/$loc: $!");
        print $f "ok\n";
        close $f;
    }
    for my $f (qw(server.crt server.key trusted.pem)) {
        system('cp', "$PKI/$f", "$RUN/files/$f") == 0 or fail("cp $f");
    }
    for my $f ("plain-$ENTRIES.txt", "crl-$ENTRIES.pem") {
        system('cp', "$LISTS/$f", "$RUN/files/$f") == 0 or fail("cp $f");
    }
    system('chmod', '-R', 'go+rX', $RUN);
}

my $EXPR = q{%{SSL_CLIENT_S_DN_O} == 'MyOrg' && %{SSL_CLIENT_S_DN_OU} == 'Devices' && %{SSL_CLIENT_S_DN_CN} == 'client1'};
my %REQUIRE = (
    all => 'Require all granted',
    expr => qq{Require expr "$EXPR"},
    subj => 'Require cert-subject O=MyOrg OU=Devices CN=client1',
    valid => 'Require cert-valid',
);

# write_conf(NAME, MPM, [VHOST...]) where VHOST = {port, list => 0|1,
# crl => 0|1, h2 => 0|1, locations => [names of %REQUIRE]}.
sub write_conf
{
    my ($name, $mpm, @vhosts) = @_;
    my $conf = "$RUN/$name.conf";
    my $h2mod = (grep { $_->{h2} } @vhosts)
        ? "LoadModule http2_module $LIBEXEC/mod_http2.so" : '';
    $h2mod .= "\nLoadModule socache_redis_module $LIBEXEC/mod_socache_redis.so"
        if grep { $_->{store} } @vhosts;
    my $user = $> == 0 ? "User nobody\nGroup #" . ((getpwnam 'nobody')[3] // 65534) . "\n" : '';
    open(my $c, '>', $conf) or fail("$conf: $!");
    print $c <<"EOF";
# Generated by bench/bench.pl: httpd defaults except what is needed to run
# from a temporary directory; KeepAlive On, MaxKeepAliveRequests 100,
# KeepAliveTimeout 5 and the MPM's default process and thread counts are
# what users run.  No access log: it costs every variant the same.
ServerRoot "$RUN"
ServerName 127.0.0.1
LoadModule mpm_${mpm}_module $LIBEXEC/mod_mpm_${mpm}.so
LoadModule authn_core_module $LIBEXEC/mod_authn_core.so
LoadModule authz_core_module $LIBEXEC/mod_authz_core.so
LoadModule socache_shmcb_module $LIBEXEC/mod_socache_shmcb.so
LoadModule ssl_module $LIBEXEC/mod_ssl.so
LoadModule certauthz_module $MODULE
$h2mod
$user
PidFile "$RUN/$name.pid"
ErrorLog "$RUN/$name.error.log"
LogLevel warn
DefaultRuntimeDir "$RUN"
Mutex file:$RUN default
DocumentRoot "$RUN/htdocs"
SSLSessionCache "shmcb:$RUN/$name.scache(512000)"
<Directory "$RUN/htdocs">
    Require all denied
</Directory>
EOF
    for my $v (@vhosts) {
        print $c <<"EOF";
Listen 127.0.0.1:$v->{port} https
<VirtualHost 127.0.0.1:$v->{port}>
    SSLEngine on
    SSLCertificateFile "$RUN/files/server.crt"
    SSLCertificateKeyFile "$RUN/files/server.key"
    SSLCACertificateFile "@{[ $v->{ca} // "$RUN/files/trusted.pem" ]}"
    SSLVerifyClient optional
EOF
        print $c "    Protocols h2 http/1.1\n" if $v->{h2};
        print $c "    CertAuthzRevocationStore $v->{store}\n",
                 "    CertAuthzStoreCacheSeconds 1\n" if $v->{store};
        print $c "    CertAuthzRevocationFile \"$RUN/files/plain-$ENTRIES.txt\"\n"
            if $v->{list};
        print $c "    SSLCARevocationFile \"$RUN/files/crl-$ENTRIES.pem\"\n",
                 "    SSLCARevocationCheck leaf\n"
            if $v->{crl};
        for my $loc (@{ $v->{locations} }) {
            print $c "    <Location /$loc>\n        $REQUIRE{$loc}\n    </Location>\n";
        }
        print $c "</VirtualHost>\n";
    }
    close $c;
    return $conf;
}

# Whether httpd accepts a configuration; the error text otherwise.
sub conf_error
{
    my $conf = shift;
    my ($rc, $out) = run_capture('sh', '-c', "'$HTTPD' -t -f '$conf' 2>&1");
    return $rc == 0 ? undef : ($out =~ s/\s+$//r);
}

sub detect_features
{
    my $port = free_port();
    my $conf = write_conf('probe-subject', 'event',
                          {port => $port, locations => ['subj']});
    my $err = conf_error($conf);
    $have{subject} = !defined $err;
    $have{subject_why} = $err;
    $conf = write_conf('probe-list', 'event',
                       {port => $port, list => 1, locations => ['valid']});
    $err = conf_error($conf);
    $have{list} = !defined $err;
    $have{list_why} = $err;
    for my $f (qw(subject list)) {
        say "bench: " . ($f eq 'subject' ? 'Require cert-subject' : 'CertAuthzRevocationFile')
            . ($have{$f} ? ': available' : ": NOT available in this build ($have{\"${f}_why\"})");
    }
}

# Start httpd in the foreground as our child; returns (pid, start-up
# seconds): from exec to the first 200 on PATH.
sub start_httpd
{
    my ($conf, $port, $path, @prefix) = @_;
    # A prefix ending in the httpd command line itself runs that as is.
    my @cmd = (grep { $_ eq $HTTPD } @prefix) ? @prefix
            : (@prefix, $HTTPD, '-f', $conf, '-DFOREGROUND');
    my $t0 = time;
    my $pid = fork // fail("fork: $!");
    if ($pid == 0) {
        # A process group of its own: prefork stops its children with
        # killpg, which would otherwise signal this script too.
        POSIX::setsid();
        open(STDOUT, '>', '/dev/null');
        exec(@cmd) or POSIX::_exit(127);
    }
    $running{$pid} = $conf;
    my $deadline = $t0 + ($ENV{BENCH_START_TIMEOUT} || 300);
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $running{$pid};
            fail("httpd exited at start-up ($conf); see its error log:\n"
                 . log_tail($conf));
        }
        my $status = https_status($port, $path);
        if ($status) {
            $status == 200
                or fail("GET $path on port $port answered $status, not 200:\n"
                        . log_tail($conf));
            return ($pid, time - $t0);
        }
        sleep 0.02;
    }
    fail("httpd did not answer within the start-up timeout ($conf)");
}

sub log_tail
{
    my $conf = shift;
    (my $log = $conf) =~ s/\.conf$/.error.log/;
    open(my $f, '<', $log) or return "(no error log)";
    my @l = <$f>;
    return join('', @l > 20 ? @l[-20 .. -1] : @l);
}

sub https_status
{
    my ($port, $path, $cert, $key) = @_;
    my $s = IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 5,
        SSL_verify_mode => SSL_VERIFY_NONE,
        SSL_cert_file => $cert // "$PKI/client.crt",
        SSL_key_file => $key // "$PKI/client.key",
    ) or return 0;
    print $s "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    my $line = <$s> // '';
    close $s;
    return $line =~ m{^HTTP/1\.\d (\d+)} ? $1 : 0;
}

sub stop_httpd
{
    my $pid = shift;
    kill 'TERM', $pid;
    my $deadline = time + 30;
    while (waitpid($pid, WNOHANG) == 0) {
        if (time > $deadline) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
            last;
        }
        sleep 0.05;
    }
    delete $running{$pid};
}

# CPU seconds (user + system) used so far by the httpd of PID and its
# children: the server's own accounting, which other work on the machine
# disturbs far less than it disturbs throughput.
my $CLK_TCK = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;

sub server_cpu
{
    my $ppid = shift;
    my $ticks = 0;
    for my $pid ($ppid, proc_children($ppid)) {
        open(my $f, '<', "/proc/$pid/stat") or next;
        my ($rest) = (scalar <$f>) =~ /^\d+ \(.*\) (.*)$/ or next;
        my @f = split / /, $rest;
        $ticks += $f[11] + $f[12];
    }
    return $ticks / $CLK_TCK;
}

# One ab run; returns {rps, requests, cpu_us (server CPU per request),
# ab_cpu (share of one CPU ab used: near 1.0 means ab, not httpd, was the
# limit)}.  A run where any request failed or was refused makes the whole
# benchmark fail: a 403 is fast and would flatter the variant.
my $SERVER_PID;

sub ab
{
    my ($port, $path, $keepalive, $seconds) = @_;
    my @cmd = (@AB_PIN, $AB, '-q', '-c', $CONC, '-t', $seconds,
               '-n', 2_000_000, '-E', "$PKI/client.pem",
               ($keepalive ? '-k' : ()), "https://127.0.0.1:$port$path");
    my $cpu0 = $SERVER_PID ? server_cpu($SERVER_PID) : 0;
    my @t0 = times;
    my $w0 = time;
    my ($rc, $out) = run_capture('sh', '-c', join(' ', map { "'$_'" } @cmd) . ' 2>&1');
    my $wall = time - $w0;
    my @t1 = times;
    my $cpu1 = $SERVER_PID ? server_cpu($SERVER_PID) : 0;
    my ($rps) = $out =~ /Requests per second:\s+([\d.]+)/;
    my ($done) = $out =~ /Complete requests:\s+(\d+)/;
    my ($failed) = $out =~ /Failed requests:\s+(\d+)/;
    my ($non2xx) = $out =~ /Non-2xx responses:\s+(\d+)/;
    if ($rc != 0 || !$rps || !$done || $failed || $non2xx) {
        fail("ab @cmd[-2 .. -1] failed:\n$out");
    }
    return {rps => $rps, requests => $done,
            cpu_us => ($cpu1 - $cpu0) * 1e6 / $done,
            ab_cpu => (($t1[2] + $t1[3]) - ($t0[2] + $t0[3])) / ($wall || 1)};
}

# Interleaved rounds over VARIANTS = [[label, port, path], ...]: every round
# runs each variant once, in the same order, so drift of the machine hits
# all of them alike.  Returns {label => {rps, cpu_us, ab_cpu}}, medians.
sub rounds
{
    my ($keepalive, @variants) = @_;
    my %r;
    for my $v (@variants) {
        ab($v->[1], $v->[2], $keepalive, 1);    # warm-up
    }
    for my $n (1 .. $ROUNDS) {
        my @line;
        for my $v (@variants) {
            my $x = ab($v->[1], $v->[2], $keepalive, $SECONDS);
            push @{ $r{$v->[0]}{$_} }, $x->{$_} for qw(rps cpu_us ab_cpu);
            push @line, sprintf("%s %.0f/s %.0f µs", $v->[0], $x->{rps}, $x->{cpu_us});
        }
        say "  round $n: ", join(', ', @line);
    }
    # Medians of each figure, and the requests/s of every round (for
    # paired ratios, see paired()).
    return { map { my $l = $_; $l => { (map { $_ => median(@{ $r{$l}{$_} }) } keys %{ $r{$l} }),
                                       rounds => $r{$l}{rps} } } keys %r };
}

# The ratio of two variants' requests/s: the median over the rounds of the
# ratio within each round.  Variants of one round ran back to back, so a
# slow spell of the machine weighs on both sides of each ratio.
sub paired
{
    my ($h, $a, $b) = @_;
    return undef unless $h->{$a} && $h->{$b};
    my ($x, $y) = ($h->{$a}{rounds}, $h->{$b}{rounds});
    my @q = map { $y->[$_] > 0 ? $x->[$_] / $y->[$_] : () } 0 .. $#$x;
    return @q ? median(@q) : undef;
}

# ------------------------------------------------------------------
# 2 and 3. Throughput

my (%ka, %nc, @ka_rows, @nc_rows);
# With a revocation store (section 6).
my (%st_ka, %st_nc, %st_prop, $st_skip);

sub throughput
{
    my $p_base = free_port();
    my $p_list = free_port();
    my $p_crl = free_port();
    my @base_locs = ('all', 'expr', ($have{subject} ? 'subj' : ()), 'valid');
    my @v = ({port => $p_base, locations => \@base_locs});
    push @v, {port => $p_list, list => 1,
              locations => [$have{subject} ? 'subj' : 'valid']} if $have{list};
    push @v, {port => $p_crl, crl => 1, locations => ['all']};
    my $conf = write_conf('throughput', 'event', @v);
    say "bench: starting httpd (mpm_event) for throughput; "
        . ($PIN ? "httpd on CPU 1, ab on CPU 0" : "no CPU pinning");
    my ($pid) = start_httpd($conf, $p_base, '/all', @HTTPD_PIN);
    $SERVER_PID = $pid;

    my $mod = $have{subject} ? 'subj' : 'valid';
    my $modlabel = $have{subject} ? 'cert-subject' : 'cert-valid';
    my @kv = (['all', $p_base, '/all'], ['expr', $p_base, '/expr'],
              ['mod', $p_base, "/$mod"]);
    push @kv, ['mod+list', $p_list, "/$mod"] if $have{list};
    say "bench: keep-alive, $ROUNDS rounds of ${SECONDS} s, ab -k -c $CONC";
    %ka = %{ rounds(1, @kv) };
    @ka_rows = (
        ['`Require all granted`', 'all'],
        ['mod_ssl `Require expr` on O, OU, CN', 'expr'],
        ["`Require $modlabel" . ($have{subject} ? ' O=MyOrg OU=Devices CN=client1' : '') . '`, no list', 'mod'],
        ($have{list} ? (["`Require $modlabel" . ($have{subject} ? ' O=… OU=… CN=…' : '') . "`, $ENTRIES-entry list", 'mod+list']) : ()),
    );

    if ($ENV{BENCH_KA_ONLY}) {
        $SERVER_PID = undef;
        stop_httpd($pid);
        return;
    }
    say "bench: new connections, $ROUNDS rounds of ${SECONDS} s, ab -c $CONC (no keep-alive)";
    my @nv = (['all', $p_base, '/all'], ['mod', $p_base, "/$mod"]);
    push @nv, ['mod+list', $p_list, "/$mod"] if $have{list};
    push @nv, ['all+crl', $p_crl, '/all'];
    %nc = %{ rounds(0, @nv) };
    $SERVER_PID = undef;
    @nc_rows = (
        ['`Require all granted`', 'all'],
        ["`Require $modlabel`, no list", 'mod'],
        ($have{list} ? (["`Require $modlabel`, $ENTRIES-entry list", 'mod+list']) : ()),
        ["`Require all granted`, mod_ssl $ENTRIES-entry CRL (`SSLCARevocationCheck leaf`)", 'all+crl'],
    );
    stop_httpd($pid);
}

# ------------------------------------------------------------------
# 2b. HTTP/2: one TLS connection, thousands of streams

my (%h2, @h2_rows);
my $CURL = first_cmd('curl');
my $H2_STREAMS = $ENV{BENCH_H2_STREAMS} || ($QUICK ? 4000 : 20000);

# One curl run: N GETs of PATH as parallel streams (100 at a time,
# mod_http2's default limit) of one TLS connection; returns {rps, cpu_us}.
# Any status but 200, or more than one connection, fails the run.
sub curl_h2
{
    my ($port, $path, $n) = @_;
    my $cfg = "$RUN/h2-$port" . ($path =~ s{/}{_}gr) . "-$n.cfg";
    if (!-f $cfg) {
        open(my $c, '>', $cfg) or fail("$cfg: $!");
        print $c qq{url = "https://127.0.0.1:$port$path"\noutput = "/dev/null"\n} for 1 .. $n;
        close $c;
    }
    my @cmd = (@AB_PIN, $CURL, '-s', '--no-progress-meter', '--http2',
               '--parallel', '--parallel-max', '100', '-k',
               '--cert', "$PKI/client.pem", '-K', $cfg,
               '-w', '%{http_code} %{http_version} %{num_connects}\n');
    my $cpu0 = server_cpu($SERVER_PID);
    my $w0 = time;
    my ($rc, $out) = run_capture(@cmd);
    my $wall = time - $w0;
    my $cpu1 = server_cpu($SERVER_PID);
    my ($ok, $conn) = (0, 0);
    for (split /\n/, $out) {
        my ($code, $ver, $nc) = split / /;
        $ok++ if $code eq '200' && $ver eq '2';
        $conn += $nc // 0;
    }
    fail("curl --http2 $path: $ok of $n streams answered 200 over HTTP/2 (rc $rc)")
        if $ok != $n;
    fail("curl --http2 $path: $conn connections for $n streams") if $conn != 1;
    return {rps => $n / ($wall || 1), cpu_us => ($cpu1 - $cpu0) * 1e6 / $n};
}

# N GETs of PATH as parallel HTTP/2 streams of one connection, all 200.
sub curl_h2_plain
{
    my ($port, $path, $n, $dir) = @_;
    my $cfg = "$dir/h2-$port" . ($path =~ s{/}{_}gr) . "-$n.cfg";
    open(my $c, '>', $cfg) or fail("$cfg: $!");
    print $c qq{url = "https://127.0.0.1:$port$path"\noutput = "/dev/null"\n} for 1 .. $n;
    close $c;
    my ($rc, $out) = run_capture($CURL, '-s', '--no-progress-meter', '--http2',
        '--parallel', '--parallel-max', '100', '-k', '--cert', "$PKI/client.pem",
        '-K', $cfg, '-w', '%{http_code}\n');
    my $ok = () = $out =~ /^200$/mg;
    fail("curl --http2 $path under callgrind: $ok of $n answered 200") if $ok != $n;
}

sub http2
{
    $CURL or do { say "bench: curl not found: HTTP/2 section skipped"; return };
    my $port = free_port();
    my $mod = $have{subject} ? 'subj' : 'valid';
    my $conf = write_conf('http2', 'event',
        {port => $port, h2 => 1, list => $have{list} ? 1 : 0,
         locations => ['all', 'expr', $mod]});
    say "bench: HTTP/2, $ROUNDS rounds of $H2_STREAMS streams on one connection per variant";
    my ($pid) = start_httpd($conf, $port, '/all', @HTTPD_PIN);
    $SERVER_PID = $pid;
    my @v = (['all', '/all'], ['expr', '/expr'], ['mod+list', "/$mod"]);
    my %r;
    curl_h2($port, $_->[1], 500) for @v;    # warm-up
    for my $n (1 .. $ROUNDS) {
        my @line;
        for my $x (@v) {
            my $m = curl_h2($port, $x->[1], $H2_STREAMS);
            push @{ $r{ $x->[0] }{$_} }, $m->{$_} for qw(rps cpu_us);
            push @line, sprintf('%s %.0f/s %.1f µs', $x->[0], $m->{rps}, $m->{cpu_us});
        }
        say "  round $n: ", join(', ', @line);
    }
    $SERVER_PID = undef;
    stop_httpd($pid);
    # Ratios of server CPU per request, paired within each round: all
    # granted's (or expr's) CPU per request over the variant's, so that 1.0
    # is the same cost and above 1.0 cheaper.
    for my $k (keys %r) {
        my @q_all = map { $r{$k}{cpu_us}[$_] > 0 ? $r{all}{cpu_us}[$_] / $r{$k}{cpu_us}[$_] : () } 0 .. $ROUNDS - 1;
        my @q_expr = map { $r{$k}{cpu_us}[$_] > 0 ? $r{expr}{cpu_us}[$_] / $r{$k}{cpu_us}[$_] : () } 0 .. $ROUNDS - 1;
        $h2{$k} = {rps => median(@{ $r{$k}{rps} }), cpu_us => median(@{ $r{$k}{cpu_us} }),
                   x_all => median(@q_all), x_expr => median(@q_expr)};
    }
    my $label = $have{subject} ? '`Require cert-subject O=… OU=… CN=…`' : '`Require cert-valid`';
    @h2_rows = (['`Require all granted`', 'all'],
                ['mod_ssl `Require expr` on O, OU, CN', 'expr'],
                ["$label, $ENTRIES-entry list", 'mod+list']);
}

# Instructions per HTTP/2 stream (callgrind): httpd -X under valgrind
# serves N streams of one TLS connection, twice (N = 500 and 1500); the
# difference of the two totals over 1000 is the cost of one stream, with
# start-up and shutdown cancelled out.  The list has 1000 entries here:
# loading a million varies by millions of instructions from run to run,
# which would drown the difference, and the per-stream work does not depend
# on the list's size (a constant-time lookup, whose verdict a connection
# keeps for a second).
my %h2cg;

sub h2_callgrind
{
    return if $QUICK || $ENV{BENCH_NO_CALLGRIND} || !first_cmd('valgrind')
        || !$CURL;
    my $dir = tempdir('/tmp/certauthz-h2cg.XXXXXX');
    make_path("$dir/htdocs", "$dir/files", "$dir/cg");
    for my $loc (qw(all expr subj valid)) {
        open(my $f, '>', "$dir/htdocs/$loc") or fail("$dir/htdocs/$loc: $!");
        print $f "ok\n";
        close $f;
    }
    system('cp', "$PKI/server.crt", "$PKI/server.key", "$PKI/trusted.pem",
           "$dir/files/") == 0 or fail('cp');
    open(my $in, '<', "$LISTS/plain-$ENTRIES.txt") or fail("plain list: $!");
    open(my $out, '>', "$dir/files/list.txt") or fail("list: $!");
    for (1 .. 1001) { my $l = <$in> // last; print $out $l }
    close $out;
    close $in;
    my $mod = $have{subject} ? 'subj' : 'valid';
    my $port = free_port();
    my $conf = "$dir/h2cg.conf";
    open(my $c, '>', $conf) or fail("$conf: $!");
    print $c <<"CONF";
ServerRoot "$dir"
ServerName 127.0.0.1
LoadModule mpm_event_module $LIBEXEC/mod_mpm_event.so
LoadModule authn_core_module $LIBEXEC/mod_authn_core.so
LoadModule authz_core_module $LIBEXEC/mod_authz_core.so
LoadModule socache_shmcb_module $LIBEXEC/mod_socache_shmcb.so
LoadModule ssl_module $LIBEXEC/mod_ssl.so
LoadModule http2_module $LIBEXEC/mod_http2.so
LoadModule certauthz_module $MODULE
PidFile "$dir/h2cg.pid"
ErrorLog "$dir/h2cg.error.log"
LogLevel warn
DefaultRuntimeDir "$dir"
Mutex file:$dir default
DocumentRoot "$dir/htdocs"
SSLSessionCache "shmcb:$dir/scache(512000)"
Listen 127.0.0.1:$port https
<VirtualHost 127.0.0.1:$port>
    Protocols h2 http/1.1
    SSLEngine on
    SSLCertificateFile "$dir/files/server.crt"
    SSLCertificateKeyFile "$dir/files/server.key"
    SSLCACertificateFile "$dir/files/trusted.pem"
    SSLVerifyClient optional
CONF
    print $c qq{    CertAuthzRevocationFile "$dir/files/list.txt"\n} if $have{list};
    for my $loc ('all', 'expr', $mod) {
        print $c "    <Location /$loc>\n        $REQUIRE{$loc}\n    </Location>\n";
    }
    print $c "</VirtualHost>\n";
    close $c;
    # valgrind writes its profile as the user httpd runs as: as root, the
    # whole server runs as nobody (no user switch in httpd).
    my @as = $> == 0 ? ('setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups') : ();
    system('chown', '-R', 'nobody', $dir) if $> == 0;
    chmod 0755, $dir;
    say "bench: callgrind on httpd -X, HTTP/2 streams per variant (500 and 1500)";
    for my $loc ('all', 'expr', $mod) {
        my %tot;
        for my $n (500, 1500) {
            my $outf = "$dir/cg/$loc.$n";
            my ($pid) = start_httpd($conf, $port, '/all', @as, 'valgrind', '--tool=callgrind',
                                    "--callgrind-out-file=$outf", '-q', $HTTPD, '-X', '-f', $conf);
            curl_h2_plain($port, "/$loc", $n, "$dir/cg");
            stop_httpd($pid);
            my ($rc, $o) = run_capture('sh', '-c', "callgrind_annotate '$outf' 2>/dev/null");
            my ($t) = $o =~ /([\d,]+) \([\s\d.]+%\)\s+PROGRAM TOTALS/;
            $t or fail("no callgrind totals in $outf");
            $tot{$n} = $t =~ s/,//gr;
        }
        my $label = $loc eq $mod ? 'mod+list' : $loc;
        $h2cg{$label} = ($tot{1500} - $tot{500}) / 1000;
        printf "  %-9s %.0f instructions per stream\n", $label, $h2cg{$label};
    }
    remove_tree($dir);
}

# ------------------------------------------------------------------
# 4. Memory and start-up

my @mem_rows;

sub proc_children
{
    my $ppid = shift;
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open(my $f, '<', $stat) or next;
        my $s = <$f> // next;
        # The command name may hold spaces and parentheses: split after it.
        my ($pid, $rest) = $s =~ /^(\d+) \(.*\) (.*)$/ or next;
        my @f = split / /, $rest;
        push @kids, $pid if $f[1] == $ppid;
    }
    return @kids;
}

sub smaps_kib
{
    my ($pid, @keys) = @_;
    open(my $f, '<', "/proc/$pid/smaps_rollup") or return undef;
    my $sum = 0;
    while (<$f>) {
        for my $k (@keys) {
            $sum += $1 if /^\Q$k\E:\s+(\d+) kB/;
        }
    }
    return $sum;
}

sub memory
{
    for my $mpm (qw(event prefork)) {
        my @setups = (['none', {}, 'all']);
        push @setups, ['list', {list => 1}, $have{subject} ? 'subj' : 'valid']
            if $have{list};
        push @setups, ['crl', {crl => 1}, 'all'];
        for my $s (@setups) {
            my ($label, $opts, $loc) = @$s;
            my $port = free_port();
            my $conf = write_conf("mem-$mpm-$label", $mpm,
                                  {port => $port, %$opts, locations => [$loc]});
            my ($pid, $startup) = start_httpd($conf, $port, "/$loc");
            # Traffic first, so every child has done what a serving child
            # does (handshakes, lookups, copy-on-write of what it touched).
            ab($port, "/$loc", 1, $QUICK ? 1 : 2);
            ab($port, "/$loc", 0, 1);
            sleep 0.5;
            my @kids = proc_children($pid);
            my $priv = 0;
            $priv += smaps_kib($_, 'Private_Clean', 'Private_Dirty') // 0 for @kids;
            my $parent_rss = smaps_kib($pid, 'Rss');
            push @mem_rows, {mpm => $mpm, setup => $label, kids => scalar @kids,
                             child_priv => @kids ? $priv / @kids : 0,
                             parent_rss => $parent_rss, startup => $startup};
            printf "  %-8s %-5s children %d, private %.1f MiB/child, parent RSS %.1f MiB, start-up %.2f s\n",
                $mpm, $label, scalar @kids, ($priv / (@kids || 1)) / 1024,
                $parent_rss / 1024, $startup;
            stop_httpd($pid);
        }
    }
}

# ------------------------------------------------------------------
# 5. callgrind on the request path of the module

# variant => {function => inclusive instructions per request}
my %cg;
# The authorization phase as a whole, the module's check function, and what
# it spends its instructions on.  Functions absent from a build count 0.
my %cg_req_ratio;
my @CG_FUNCS = qw(ap_run_process_connection SSL_do_handshake
                  ap_process_request_internal cert_check ap_ssl_var_lookup
                  ident_make certauthz_rule_match
                  certauthz_revocation_reason certauthz_revlist_check
                  log_transaction);
push @CG_FUNCS, split /,/, $ENV{BENCH_CG_EXTRA} if $ENV{BENCH_CG_EXTRA};

sub callgrind_annotate_inclusive
{
    my ($file) = @_;
    my ($rc, $out) = run_capture('sh', '-c',
        "callgrind_annotate --inclusive=yes --threshold=100 '$file' 2>/dev/null");
    my %fn;
    for (split /\n/, $out) {
        my ($ir, $name) = /^\s*([\d,]+) \([\s\d.]+%\)\s+(\S+)/ or next;
        $ir =~ s/,//g;
        $name =~ s/^.*://;
        $name =~ s/'\d+$//;
        $fn{$name} = $ir if !exists $fn{$name} || $fn{$name} < $ir;
    }
    return \%fn;
}

sub callgrind_requests
{
    return if $QUICK || $ENV{BENCH_NO_CALLGRIND} || !first_cmd('valgrind');
    my $n = 1000;
    say "bench: callgrind on httpd, $n keep-alive requests per variant";
    my @variants = (['all', 0, 'all'], ['expr', 0, 'expr']);
    my $mod = $have{subject} ? 'subj' : 'valid';
    push @variants, ['mod', 0, $mod];
    push @variants, ['mod+list', 1, $mod] if $have{list};
    for my $v (@variants) {
        my ($label, $list, $loc) = @$v;
        my $port = free_port();
        my $conf = write_conf("cg-$label", 'event',
                              {port => $port, list => $list, locations => [$loc]});
        # The children (user nobody when we are root) write their own
        # profile, one file per process.
        my $cgdir = "$RUN/callgrind";
        make_path($cgdir);
        chmod 01777, $cgdir;
        my $out = "$cgdir/httpd.$label";
        # Everything a connection costs in user space (its handshake, its
        # requests, their logging) is collected; the idle MPM and start-up
        # are not.
        my ($pid) = start_httpd($conf, $port, "/$loc", 'valgrind',
            '--tool=callgrind', "--callgrind-out-file=$out.%p",
            '--toggle-collect=' . ($ENV{BENCH_CG_TOGGLE} || 'ap_run_process_connection'), '-q');
        # The profiles of all processes are summed: whichever child served
        # the connection, the requests are the ones sent here.
        my @cmd = ($AB, '-q', '-k', '-c', 1, '-n', $n, '-E', "$PKI/client.pem",
                   "https://127.0.0.1:$port/$loc");
        my ($rc, $o) = run_capture('sh', '-c', join(' ', map { "'$_'" } @cmd) . ' 2>&1');
        $rc == 0 && $o =~ /Complete requests:\s+$n/ or fail("ab under callgrind failed:\n$o");
        stop_httpd($pid);
        # Kept in build/bench for callgrind_annotate after the run.
        make_path("$BUILD/callgrind");
        unlink glob("$BUILD/callgrind/httpd.$label.*");
        system('cp', glob("$out.*"), "$BUILD/callgrind/");
        my @files = grep { -s } glob("$BUILD/callgrind/httpd.$label.*");
        my %sum;
        for my $f (@files) {
            my $fn = callgrind_annotate_inclusive($f);
            for my $k (@CG_FUNCS) {
                $sum{$k} += $fn->{$k} // 0;
            }
        }
        # +1: the start-up probe request.
        my $reqs = $n + 1;
        $cg{$label} = { map { $_ => $sum{$_} / $reqs } @CG_FUNCS };
        printf "  %-9s Ir/request: %s\n", $label,
            join(', ', map { sprintf('%s %.0f', $_, $cg{$label}{$_}) } @CG_FUNCS);
    }
}

# ------------------------------------------------------------------
# Report

sub fmt_ns
{
    my $ns = shift;
    return 'n/a' unless defined $ns;
    return $ns >= 1e6 ? sprintf('%.0f ms', $ns / 1e6)
         : $ns >= 1e4 ? sprintf('%.1f µs', $ns / 1e3)
         : sprintf('%.1f ns', $ns);
}

sub machine
{
    my ($cpu) = (qx{grep -m1 'model name' /proc/cpuinfo} =~ /:\s*(.*)/);
    my $kernel = qx{uname -sr} =~ s/\s+$//r;
    my ($httpd_v) = qx{'$HTTPD' -v} =~ m{Server version:\s*(\S+)};
    my $ssl_v = qx{openssl version} =~ s/\s+$//r;
    my $ab_v = (qx{$AB -V} =~ /Version (\S+)/)[0] // '?';
    my $os = '';
    if (open(my $f, '<', '/etc/os-release')) {
        ($os) = join('', <$f>) =~ /PRETTY_NAME="([^"]*)"/;
    }
    return ("nproc $NPROC", "CPU $cpu", "kernel $kernel", $os, "httpd $httpd_v",
            $ssl_v, "ab $ab_v");
}

sub verdict
{
    my ($ok) = @_;
    return !defined $ok ? 'not measured' : $ok ? '**met**' : '**missed**';
}

sub report
{
    my @m;
    my $cmd = ($QUICK ? 'BENCH_QUICK=1 ' : '') . 'make bench';
    push @m, "# mod_certauthz performance", '',
        "Generated by `$cmd` (bench/bench.pl) on " . strftime('%Y-%m-%d %H:%M UTC', gmtime)
        . sprintf(", %.0f s.", time - $started), '',
        'Machine: ' . join('; ', grep { $_ ne '' } machine()) . '.', '',
        'Code: ' . (qx{git -C '$TOP' log -1 --format='%h %s' 2>/dev/null} =~ s/\s+$//r || 'not a git checkout')
        . (qx{git -C '$TOP' status --porcelain --untracked-files=no 2>/dev/null} ne '' ? ' (with uncommitted changes)' : '') . '.', '',
        "Settings: $ENTRIES-entry lists (16-byte serials, bench/genlists.c), "
        . "$ROUNDS interleaved rounds of $SECONDS s per variant, medians, "
        . "ab concurrency $CONC, httpd defaults (KeepAlive On, MaxKeepAliveRequests 100), "
        . ($PIN ? 'httpd pinned to CPU 1 and ab to CPU 0 (taskset).' : 'no CPU pinning.'), '',
        "Load average at the start: $load_before; at the end: " . loadavg()
        . '. Other work on the machine during the run skews the absolute figures; '
        . 'the interleaved rounds keep the ratios comparable.', '';
    if (!$have{subject}) {
        push @m, "**`Require cert-subject` is not in this build** ($have{subject_why}); "
            . 'its rows use `Require cert-valid` instead.', '';
    }
    if (!$have{list}) {
        push @m, "**`CertAuthzRevocationFile` is not in this build**; the rows with a list are absent.", '';
    }

    push @m, '## Micro: src/ alone (build/bench/micro)', '',
        '| operation | wall (median) | instructions (callgrind) |', '|---|---|---|';
    my %mlabel = (
        'decision-valid' => 'decision, `cert-valid`, parsed certificate',
        'decision-subject5' => 'decision, `cert-subject C=US O=MyOrg OU=Devices CN~^client L=Springfield`, parsed certificate',
        'parse-pem' => 'parse the PEM of a client certificate (once per connection)',
        'lookup-hit' => "revocation check, $ENTRIES-entry plain list, certificate on it",
        'lookup-miss' => "revocation check, $ENTRIES-entry plain list, certificate not on it",
        'load-plain' => "load a $ENTRIES-entry plain list",
        'load-index' => "load a $ENTRIES-entry index.txt",
        'load-crl-pem' => "load a $ENTRIES-entry CRL, PEM",
        'load-crl-der' => "load a $ENTRIES-entry CRL, DER",
    );
    for my $k (sort keys %micro) {
        my $x = $micro{$k};
        push @m, sprintf('| %s | %s | %s |', $mlabel{$k} // $k,
            $x->{skip} ? "n/a ($x->{skip})" : fmt_ns($x->{ns}),
            defined $x->{ir} ? sprintf('%.0f', $x->{ir}) : '—');
    }
    push @m, '';

    push @m, '## Keep-alive, client certificate (`ab -k -E`), mpm_event', '',
        'Requests/s is what ab saw (median over the rounds); the ratios are paired: the median over '
        . 'the rounds of the ratio within each round. Server CPU is user + system time of httpd '
        . '(parent and children, from /proc) per request, a figure other load on the machine '
        . 'disturbs much less. ab CPU is the share of one CPU ab itself used (near 1.0: ab was the limit).', '',
        '| variant | requests/s (median) | × all granted | × mod_ssl expr | server CPU µs/request | ab CPU |',
        '|---|---|---|---|---|---|';
    for my $r (@ka_rows) {
        my $v = $ka{ $r->[1] };
        push @m, sprintf('| %s | %.0f | %.3f | %.3f | %.1f | %.2f |', $r->[0], $v->{rps},
            paired(\%ka, $r->[1], 'all'), paired(\%ka, $r->[1], 'expr'),
            $v->{cpu_us}, $v->{ab_cpu});
    }
    if (%h2) {
        push @m, '', '## HTTP/2: one TLS connection, many streams (`curl --http2 --parallel`), mpm_event', '',
            "$H2_STREAMS GETs per round as parallel streams (100 at a time) of one TLS connection with "
            . 'a client certificate, the variants interleaved. The ratios compare server CPU per '
            . 'request (user + system time of httpd from /proc), paired within each round: '
            . '"× all granted" is all granted\'s CPU per request over the variant\'s (1.0: the same cost, '
            . 'above 1.0: cheaper). Requests/s is bounded by curl, which runs on the other CPU.', '',
            '| variant | requests/s (median) | server CPU µs/request | × all granted (CPU) | × mod_ssl expr (CPU) | instructions/stream | × all granted (instructions) |',
            '|---|---|---|---|---|---|---|';
        for my $r (@h2_rows) {
            my $v = $h2{ $r->[1] } or next;
            my $ir = $h2cg{ $r->[1] };
            push @m, sprintf('| %s | %.0f | %.1f | %.3f | %.3f | %s | %s |', $r->[0], $v->{rps},
                $v->{cpu_us}, $v->{x_all}, $v->{x_expr},
                defined $ir ? sprintf('%.0f', $ir) : 'n/a',
                defined $ir && $h2cg{all} ? sprintf('%.3f', $h2cg{all} / $ir) : 'n/a');
        }
        push @m, '', 'Instructions per stream: callgrind on `httpd -X`, the difference between serving 500 '
            . 'and 1500 streams of one connection, over 1000 (start-up cancels out); a 1000-entry list '
            . 'there (the per-stream work does not depend on the list\'s size). Repeatable whatever else '
            . 'the machine is doing, unlike the CPU figures.' if %h2cg;
    }
    push @m, '', '## New connections (`ab -E`, no keep-alive), mpm_event', '',
        '| variant | connections/s (median) | × all granted | × same without list | server CPU µs/connection | ab CPU |',
        '|---|---|---|---|---|---|';
    for my $r (@nc_rows) {
        my $v = $nc{ $r->[1] };
        my $base = $r->[1] eq 'mod+list' ? 'mod' : 'all';
        push @m, sprintf('| %s | %.1f | %.3f | %s | %.0f | %.2f |', $r->[0], $v->{rps},
            paired(\%nc, $r->[1], 'all'),
            $r->[1] =~ /\+/ ? sprintf('%.3f', paired(\%nc, $r->[1], $base)) : '',
            $v->{cpu_us}, $v->{ab_cpu});
    }
    push @m, '', '## Memory and start-up', '',
        'Private memory per child: Private_Clean + Private_Dirty of /proc/PID/smaps_rollup, '
        . 'summed over the children after traffic, divided by their number.', '',
        '| MPM | revocation | children | private MiB/child | beyond none | parent RSS MiB | start-up s |',
        '|---|---|---|---|---|---|---|';
    my %none = map { $_->{mpm} => $_->{child_priv} } grep { $_->{setup} eq 'none' } @mem_rows;
    my %slabel = (none => 'none', list => "CertAuthzRevocationFile, $ENTRIES entries",
                  crl => "mod_ssl SSLCARevocationFile, $ENTRIES-entry CRL");
    for my $r (@mem_rows) {
        push @m, sprintf('| %s | %s | %d | %.1f | %s | %.1f | %.2f |', $r->{mpm},
            $slabel{ $r->{setup} }, $r->{kids}, $r->{child_priv} / 1024,
            $r->{setup} eq 'none' ? '' : sprintf('%+.1f', ($r->{child_priv} - $none{ $r->{mpm} }) / 1024),
            $r->{parent_rss} / 1024, $r->{startup});
    }
    if (%cg) {
        push @m, '', '## Instructions per request (callgrind, httpd under valgrind)', '',
            'Collected inside `ap_run_process_connection` (the TLS handshake, reading, authorizing, '
            . 'answering and logging each request: all a connection costs in user space), '
            . '1000 keep-alive requests per variant (so 10 TLS connections: MaxKeepAliveRequests 100); '
            . 'inclusive instructions per request, once-per-connection work amortised. '
            . '`ap_process_request_internal` is the authorization phase (with fixups); '
            . '`log_transaction` sets the notes and counts. "without handshakes" leaves out `SSL_do_handshake`: '
            . 'ab reconnects after MaxKeepAliveRequests, sometimes once more, and each handshake is a million '
            . 'instructions of the same work whatever the variant. "× all granted" is the instruction count of '
            . '`Require all granted` over the variant\'s: the throughput ratio if instructions were all.', '',
            '| variant | ' . join(' | ', $CG_FUNCS[0], '× all granted', 'without handshakes', '× all granted',
                                  @CG_FUNCS[1 .. $#CG_FUNCS]) . ' |',
            '|---|' . ('---|' x (@CG_FUNCS + 3));
        my %cl = (all => '`Require all granted`', expr => 'mod_ssl `Require expr`',
                  mod => ($have{subject} ? '`Require cert-subject`' : '`Require cert-valid`') . ', no list',
                  'mod+list' => ($have{subject} ? '`Require cert-subject`' : '`Require cert-valid`') . ", $ENTRIES-entry list");
        for my $k (grep { $cg{$_} } qw(all expr mod mod+list)) {
            my $whole = $cg{$k}{$CG_FUNCS[0]};
            my $x = $cg{all} && $whole ? sprintf('%.3f', $cg{all}{$CG_FUNCS[0]} / $whole) : 'n/a';
            # ab opens a new connection after MaxKeepAliveRequests, and
            # sometimes one more, whose handshake (a million instructions)
            # is the same work whatever the variant: without them, the
            # comparison is of the requests alone.
            my $req = $whole - $cg{$k}{SSL_do_handshake};
            my $req_all = $cg{all} ? $cg{all}{$CG_FUNCS[0]} - $cg{all}{SSL_do_handshake} : 0;
            my $xr = $req_all && $req ? sprintf('%.3f', $req_all / $req) : 'n/a';
            # The keep-alive figure: every variant with the handshakes of
            # all granted's run (one per MaxKeepAliveRequests), so that an
            # extra reconnection of ab weighs on none.
            $cg_req_ratio{$k} = $cg{all} && $req
                ? $cg{all}{$CG_FUNCS[0]} / ($req + $cg{all}{SSL_do_handshake}) : undef;
            push @m, "| $cl{$k} | " . join(' | ', sprintf('%.0f', $whole), $x, sprintf('%.0f', $req), $xr,
                map { sprintf('%.0f', $cg{$k}{$_}) } @CG_FUNCS[1 .. $#CG_FUNCS]) . ' |';
        }
    }

    # Targets.
    my $lookup = $micro{'lookup-hit'}{ns} // $micro{'lookup-miss'}{ns};
    my $load = $micro{'load-plain'}{ns};
    my $dec = $micro{'decision-subject5'}{ns};
    my $ka_all = paired(\%ka, 'mod+list', 'all');
    my $ka_expr = paired(\%ka, 'mod+list', 'expr');
    my $nc_list = paired(\%nc, 'mod+list', 'mod');
    my @deltas = map { ($_->{child_priv} - $none{ $_->{mpm} }) / 1024 }
        grep { $_->{setup} eq 'list' } @mem_rows;
    my $worst = @deltas ? (sort { $b <=> $a } @deltas)[0] : undef;
    push @m, '', '## Targets (issues 6 and 11)', '', '| target | measured | verdict |', '|---|---|---|';
    if (defined $cg_req_ratio{'mod+list'}) {
        push @m, sprintf('| keep-alive, cert-subject + 1M list ≥ 0.97 × `Require all granted`, by instructions per request (callgrind, with the handshakes of all granted\'s run) | %.3f × | %s |',
            $cg_req_ratio{'mod+list'}, verdict($cg_req_ratio{'mod+list'} >= 0.97));
    }
    push @m, sprintf('| keep-alive, cert-subject + 1M list ≥ 0.97 × `Require all granted` | %s | %s |',
        defined $ka_all ? sprintf('%.3f ×', $ka_all) : 'n/a', verdict(defined $ka_all ? $ka_all >= 0.97 : undef));
    push @m, sprintf('| keep-alive, cert-subject + 1M list ≥ 1.0 × mod_ssl `Require expr` | %s | %s |',
        defined $ka_expr ? sprintf('%.3f ×', $ka_expr) : 'n/a', verdict(defined $ka_expr ? $ka_expr >= 1.0 : undef));
    push @m, sprintf('| new connections, 1M list ≥ 0.95 × no list | %s | %s |',
        defined $nc_list ? sprintf('%.3f ×', $nc_list) : 'n/a', verdict(defined $nc_list ? $nc_list >= 0.95 : undef));
    push @m, sprintf('| ≤ 1 µs per decision (5 conditions) | %s | %s |', fmt_ns($dec),
        verdict(defined $dec ? $dec <= 1000 : undef));
    push @m, sprintf('| ≤ 100 ns per lookup, 1M entries | %s | %s |', fmt_ns($lookup),
        verdict(defined $lookup ? $lookup <= 100 : undef));
    push @m, sprintf('| 1M-entry plain list loaded in ≤ 0.5 s | %s | %s |',
        defined $load ? sprintf('%.2f s', $load / 1e9) : 'n/a', verdict(defined $load ? $load <= 0.5e9 : undef));
    push @m, sprintf('| ≤ 2 MiB private per child beyond no list, 1M list | %s | %s |',
        @deltas ? join(', ', map { sprintf('%+.1f MiB', $_) } @deltas) . ' (event, prefork)' : 'n/a',
        verdict(defined $worst ? $worst <= 2 : undef));
    if (%h2 && $h2{'mod+list'}) {
        my $x = $h2{'mod+list'};
        push @m, sprintf('| HTTP/2, one connection, cert-subject + 1M list: server CPU per request ≥ 0.97 × `Require all granted` | %.3f × | %s |',
            $x->{x_all}, verdict($x->{x_all} >= 0.97));
        push @m, sprintf('| HTTP/2, one connection, cert-subject + 1M list: server CPU per request ≥ 1.0 × mod_ssl `Require expr` | %.3f × | %s |',
            $x->{x_expr}, verdict($x->{x_expr} >= 1.0));
        if ($h2cg{'mod+list'}) {
            push @m, sprintf('| HTTP/2, same, by instructions per stream: ≥ 0.97 × all granted, ≥ 1.0 × expr | %.3f ×, %.3f × | %s |',
                $h2cg{all} / $h2cg{'mod+list'}, $h2cg{expr} / $h2cg{'mod+list'},
                verdict($h2cg{all} / $h2cg{'mod+list'} >= 0.97 && $h2cg{expr} / $h2cg{'mod+list'} >= 1.0));
        }
    }
    if (%st_ka) {
        my $ka_st = paired(\%st_ka, 'mod+store', 'mod');
        my $nc_st = paired(\%st_nc, 'mod+store', 'mod');
        push @m, sprintf('| keep-alive with a revocation store (Redis) ≥ 0.97 × without it (server CPU per request: %.0f vs %.0f µs) | %.3f × | %s |',
            $st_ka{'mod+store'}{cpu_us}, $st_ka{mod}{cpu_us}, $ka_st, verdict($ka_st >= 0.97));
        push @m, sprintf('| new connections with a revocation store ≥ 0.95 × without it (server CPU per request: %.0f vs %.0f µs) | %.3f × | %s |',
            $st_nc{'mod+store'}{cpu_us}, $st_nc{mod}{cpu_us}, $nc_st, verdict($nc_st >= 0.95));
        push @m, sprintf('| from `certauthz revoke --store` (the command took %.2f s) to the first refusal, two servers, `CertAuthzStoreCacheSeconds 1` | %s, %s | — |',
            $st_prop{command}, map { defined $st_prop{$_} ? sprintf('%.2f s', $st_prop{$_}) : 'not within 10 s' } qw(a b));
    }
    elsif ($st_skip) {
        push @m, "| revocation store figures | not measured: $st_skip | n/a |";
    }
    push @m, '';

    my $text = join("\n", @m);
    print "\n$text\n";
    return $text;
}

# ------------------------------------------------------------------
# 6. A revocation store (CertAuthzRevocationStore, a real redis-server)


sub store_bench
{
    my $redis = first_cmd('redis-server');
    my $cli = "$TOP/build/certauthz";
    $st_skip = 'redis-server is not installed' unless $redis;
    $st_skip = "$cli is missing" unless -x $cli;
    $st_skip = 'mod_socache_redis is missing' unless -f "$LIBEXEC/mod_socache_redis.so";
    return if $st_skip;
    my $rport = free_port();
    my $rpid = fork // fail("fork: $!");
    if (!$rpid) {
        POSIX::setsid();
        open(STDOUT, '>', '/dev/null');
        exec($redis, '--port', $rport, '--bind', '127.0.0.1', '--save', '',
             '--appendonly', 'no') or POSIX::_exit(127);
    }
    $running{$rpid} = 'redis-server';
    my $up;
    for (1 .. 100) {
        last if ($up = IO::Socket::INET->new("127.0.0.1:$rport"));
        sleep 0.05;
    }
    $up or fail("redis-server did not start on port $rport");
    close $up;
    my $store = "redis:127.0.0.1:$rport";

    # A CA of the command's, trusted beside the bench PKI, and one device.
    my $ca = "$RUN/fleet-ca";
    for my $cmd (['ca', 'init', $ca, '--org', 'Bench', '--cn', 'Bench Fleet CA', '--no-passphrase'],
                 ['issue', $ca, 'dev1', '--ou', 'Devices']) {
        my ($rc, $out) = run_capture('sh', '-c', join(' ', map { "'$_'" } $cli, @$cmd) . ' 2>&1');
        $rc == 0 or fail("certauthz @$cmd: $out");
    }
    system("cat '$RUN/files/trusted.pem' '$ca/ca.crt' > '$RUN/files/trusted-fleet.pem'") == 0
        or fail('trusted-fleet.pem');
    system('chmod', '-R', 'go+rX', $RUN);
    my $trusted = "$RUN/files/trusted-fleet.pem";

    my ($p_base, $p_store, $p_peer) = (free_port(), free_port(), free_port());
    my $loc = $have{subject} ? 'subj' : 'valid';
    my $conf = write_conf('store', 'event',
        {port => $p_base, ca => $trusted, locations => [$loc, 'valid']},
        {port => $p_store, ca => $trusted, store => $store, locations => [$loc, 'valid']});
    say "bench: a revocation store (redis-server on port $rport)";
    my ($pid) = start_httpd($conf, $p_base, "/$loc", @HTTPD_PIN);
    $SERVER_PID = $pid;
    my @v = (['mod', $p_base, "/$loc"], ['mod+store', $p_store, "/$loc"]);
    say "bench: store, keep-alive, $ROUNDS rounds of ${SECONDS} s";
    %st_ka = %{ rounds(1, @v) };
    say "bench: store, new connections, $ROUNDS rounds of ${SECONDS} s";
    %st_nc = %{ rounds(0, @v) };
    $SERVER_PID = undef;

    # Propagation: a second httpd on the same store; the time from the
    # start of `certauthz revoke --store` to the first 403 on each.
    my $conf2 = write_conf('store-peer', 'event',
        {port => $p_peer, ca => $trusted, store => $store, locations => ['valid']});
    my ($pid2) = start_httpd($conf2, $p_peer, '/valid');
    my @dev = ("$ca/devices/dev1.crt", "$ca/devices/dev1.key");
    for my $p ($p_store, $p_peer) {
        my $st = https_status($p, '/valid', @dev);
        $st == 200 or fail("the fleet device got $st before its revocation");
    }
    my $t0 = time;
    my ($rc, $out) = run_capture('sh', '-c', "'$cli' revoke '$ca' dev1 --store '$store' 2>&1");
    $rc == 0 or fail("certauthz revoke --store: $out");
    $st_prop{command} = time - $t0;
    my %left = (a => $p_store, b => $p_peer);
    while (%left && time - $t0 < 10) {
        for my $k (sort keys %left) {
            if (https_status($left{$k}, '/valid', @dev) == 403) {
                $st_prop{$k} = time - $t0;
                delete $left{$k};
            }
        }
        sleep 0.01;
    }
    stop_httpd($pid2);
    stop_httpd($pid);
    kill 'TERM', $rpid;
    waitpid($rpid, 0);
    delete $running{$rpid};
}

# ------------------------------------------------------------------

# BENCH_SECTIONS=micro,throughput,http2,memory,callgrind,store runs a subset (the note
# then shows only those); all of them by default.
my %section = map { $_ => 1 }
    split /,/, ($ENV{BENCH_SECTIONS} || 'micro,throughput,http2,memory,callgrind,store');
prepare_inputs();
micro_benchmarks() if $section{micro};
new_run_dir();
detect_features();
throughput() if $section{throughput};
if ($section{http2}) {
    http2();
    h2_callgrind();
}
if ($section{memory}) {
    say "bench: memory and start-up";
    memory();
}
callgrind_requests() if $section{callgrind};
store_bench() if $section{store};
my $text = report();
my $notes = '';
if (-f $OUT && open(my $f, '<', $OUT)) {
    # Hand-written analysis below the generated part survives a re-run.
    my $old = join('', <$f>);
    $notes = $1 if $old =~ /(\n<!-- analysis -->\n.*)\z/s;
}
make_path(dirname($OUT));
open(my $o, '>', $OUT) or fail("$OUT: $!");
print $o $text, $notes;
close $o;
say "bench: written to $OUT";
