# Revocation for a fleet through a shared store (INTERFACE §9): a real
# redis-server on a loopback port, the test server (virtual hosts
# fleet_deny and fleet_allow, t/conf/features/fleet.conf.in) and a second
# httpd of this test sharing it.  `certauthz revoke --store` reaches both
# within CertAuthzStoreCacheSeconds; a store that is down or hangs is
# refused with store-unavailable (deny) or leaves the local sources in
# charge (allow), logged once per outage; it is used again when it is
# back, without a restart.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use CertAuthzCLI;
use CertAuthzInstance;
use IO::Socket::INET ();
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

my $redis_bin = '/usr/bin/redis-server';
plan skip_all => 'redis-server is not installed (scripts/deps.sh redis-server)'
    unless -x $redis_bin;
plan tests => 43;

my $CA = pki('fleet-ca');
sub dev { "fleet-ca/devices/$_[0]" }

my $conf = slurp(Apache::Test::vars('t_conf') . '/features/fleet.conf');
my ($port) = $conf =~ /CERTAUTHZ_TEST_STORE "redis:127\.0\.0\.1:(\d+)"/
    or die "no store port in fleet.conf";
my $store = "redis:127.0.0.1:$port";

# --- the store ------------------------------------------------------------
my $redis_pid;
sub redis_start {
    $redis_pid = fork // die "fork: $!";
    if (!$redis_pid) {
        open STDOUT, '>', Apache::Test::vars('t_logs') . '/redis.log';
        open STDERR, '>&', \*STDOUT;
        { exec $redis_bin, '--port', $port, '--bind', '127.0.0.1', '--save', '',
              '--appendonly', 'no', '--daemonize', 'no' }
        POSIX::_exit(127);
    }
    my $end = time + 10;
    while (time < $end) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1);
        return 1 if $s;
        sleep 0.05;
    }
    return 0;
}
sub redis_stop {
    return unless $redis_pid;
    kill 'CONT', $redis_pid;
    kill 'TERM', $redis_pid;
    waitpid $redis_pid, 0;
    $redis_pid = undef;
}
END { redis_stop() }

# --- the second server ------------------------------------------------------
my $peer = CertAuthzInstance->new(name => 'fleet2', vhost => <<"EOF");
    SSLCACertificateFile "$CA/ca.crt"
    SSLVerifyClient optional
    SSLVerifyDepth 1
    CertAuthzRevocationStore $store
    CertAuthzStoreCacheSeconds 1
    <Location /p/valid>
        Require cert-valid
    </Location>
    <Location /status>
        SetHandler certauthz-status
        Require all granted
    </Location>
EOF

# Seconds until every (SERVER, DEVICE) pair answers WANT, undef after LIMIT;
# a SERVER is a vhost of the test server or the second instance.
sub status_of {
    my ($server, $dev) = @_;
    return ref $server ? $server->get_status('/p/valid', cert => dev($dev))
                       : get_status($server, '/p/valid', cert => dev($dev));
}
sub until_all {
    my ($want, $limit, @pairs) = @_;
    my $t0 = time;
    my %done;
    while (time - $t0 < $limit) {
        for my $i (0 .. $#pairs) {
            next if defined $done{$i};
            $done{$i} = time - $t0 if status_of(@{ $pairs[$i] }) == $want;
        }
        return [map { $done{$_} } 0 .. $#pairs] if keys %done == @pairs;
        sleep 0.05;
    }
    return undef;
}
# Like until_all, but each pair must answer WANT ten times in a row (on
# fresh connections, so most processes of each server answer): after an
# outage each process's client tries the store again on its own.
sub until_stable {
    my ($want, $limit, @pairs) = @_;
    my $t0 = time;
    my @streak = (0) x @pairs;
    my %done;
    while (time - $t0 < $limit) {
        for my $i (0 .. $#pairs) {
            next if defined $done{$i};
            $streak[$i] = status_of(@{ $pairs[$i] }) == $want ? $streak[$i] + 1 : 0;
            $done{$i} = time - $t0 if $streak[$i] >= 10;
        }
        return [map { $done{$_} } 0 .. $#pairs] if keys %done == @pairs;
        sleep 0.05;
    }
    return undef;
}
sub secs { defined $_[0] ? sprintf('%.2f s', $_[0]) : 'not within the limit' }
sub status_json {
    my $r = ref $_[0] ? $_[0]->get('/status') : get_response($_[0], '/status');
    return eval { JSON::PP->new->decode($r->decoded_content) } || {};
}

# --- the store down from the start ------------------------------------------
# The test server started before the store: deny refuses, allow goes by the
# local list.
is(get_status('fleet_deny', '/p/valid', cert => dev('fleet-keep')), 403,
   'store not running: deny refuses a device the local sources let in');
my $mark = error_log_mark();
sleep 0.2;
is(get_status('fleet_allow', '/p/valid', cert => dev('fleet-keep')), 200,
   'store not running: allow lets it in');
is(get_status('fleet_allow', '/p/valid', cert => dev('fleet-local')), 403,
   'store not running: allow still applies the local list');
like(error_log_since(0), qr/CertAuthzRevocationStore \Q$store\E does not answer/,
     'the outage since start-up is logged');
my $st = status_json('fleet_deny');
is($st->{stores}[0]{state} // '', 'down', 'status page: the store is down')
    or diag(JSON::PP->new->encode($st));

# --- the store comes up -------------------------------------------------------
$mark = error_log_mark();
ok(redis_start(), "redis-server runs on port $port");
my ($ok, $out) = $peer->start;
ok($ok, 'a second httpd sharing the store starts') or diag($out);
my $t = until_stable(200, 25, ['fleet_deny', 'fleet-a'], [$peer, 'fleet-a']);
ok($t, 'the store answering: both servers let an unrevoked device in, no restart ('
   . ($t ? join(', ', map { secs($_) } @$t) : 'still refused after 20 s') . ')');
like(error_log_since($mark), qr/CertAuthzRevocationStore \Q$store\E: answers again/,
     'the recovery is logged');
my $marker = `redis-cli -p $port exists certauthz:616c697665 2>/dev/null`;
is($marker + 0, 1, 'the loaders wrote the marker key');

# --- certauthz revoke --store -------------------------------------------------
my $held = ka_connect('fleet_deny', cert => dev('fleet-a'));
is(ka_get($held, '/p/valid'), 200, 'a kept-alive connection is let in before the revocation');
is(status_of($peer, 'fleet-b'), 200, 'the second server lets another device in');
$mark = error_log_mark();
my $t0 = time;
my ($rc, $stdout, $stderr) = certauthz('revoke', $CA, 'fleet-a', '--store', $store);
is($rc, 0, 'certauthz revoke DIR NAME --store redis:HOST:PORT') or diag($stderr);
like($stdout, qr/written to redis 127\.0\.0\.1:$port/, '...says where it wrote');
$t = until_all(403, 5, ['fleet_deny', 'fleet-a'], ['fleet_allow', 'fleet-a'], [$peer, 'fleet-a']);
ok($t && $t->[0] <= 2.2 && $t->[2] <= 2.2,
   'both servers refuse the device within CertAuthzStoreCacheSeconds (1 s) of the command ('
   . ($t ? join(', ', map { secs($_) } @$t) : 'still granted after 5 s') . ')');
# The process holding that connection may have asked the store just
# before the command: its verdict holds up to the cache seconds.
sleep(1.1 - (time - $t0)) if time - $t0 < 1.1;
is(ka_get($held, '/p/valid'), 403,
   '...and so does the connection kept open, once its process\'s verdict is older than that');
close $held;
sleep 0.2;
like(error_log_since($mark), qr/device="fleet-a" reason=revoked/,
     'the refusal is logged with reason revoked');
is(status_of($peer, 'fleet-b'), 200, 'other devices are unaffected');
# Over HTTP/2, 60 parallel streams of one connection per device, as a
# browser sends them (mod_http2 does not run under prefork).
SKIP: {
    my $curl = `sh -c 'command -v curl'`;
    chomp $curl;
    skip 'HTTP/2: curl, or an MPM with threads, is missing', 1
        if !$curl || ($ENV{CERTAUTHZ_MPM} || '') eq 'prefork';
    my %seen;
    for my $d (qw(fleet-a fleet-b)) {
        my $cfg = Apache::Test::vars('t_logs') . "/fleet-h2-$$.cfg";
        open my $fh, '>', $cfg or die "$cfg: $!";
        print $fh qq{url = "https://localhost:${\ port('fleet_deny')}/p/valid"\noutput = "/dev/null"\n}
            for 1 .. 60;
        close $fh;
        open my $out, '-|', $curl, '-s', '--no-progress-meter', '--http2', '--parallel',
            '--parallel-max', '100', '--cacert', pki('ca.crt'), '--cert', pki(dev($d) . '.crt'),
            '--key', pki(dev($d) . '.key'), '-K', $cfg, '-w', '%{http_code} %{http_version}\n'
            or die "curl: $!";
        $seen{$d} = join ',', sort { $a cmp $b } keys %{{ map { chomp; $_ => 1 } <$out> }};
        close $out;
        unlink $cfg;
    }
    is("$seen{'fleet-a'} / $seen{'fleet-b'}", '403 2 / 200 2',
       'over HTTP/2 every stream of the revoked device is refused, every one of the other let in');
}
$st = status_json($peer);
ok(($st->{stores}[0]{state} // '') eq 'up' && ($st->{store_lookups} // 0) > 0
   && defined $st->{stores}[0]{checked},
   'status page: the store is up, lookups counted') or diag(JSON::PP->new->encode($st));

($rc, $stdout, $stderr) = certauthz('unrevoke', $CA, 'fleet-a', '--store', $store);
is($rc, 0, 'certauthz unrevoke --store (a mistaken revocation)') or diag($stderr);
$t = until_all(200, 5, ['fleet_deny', 'fleet-a'], [$peer, 'fleet-a']);
ok($t && $t->[0] <= 2.2 && $t->[1] <= 2.2,
   'both servers let it in again within the cache seconds ('
   . ($t ? join(', ', map { secs($_) } @$t) : 'still refused after 5 s') . ')');

# --- the store stops ----------------------------------------------------------
certauthz('revoke', $CA, 'fleet-b', '--store', $store);
until_all(403, 5, ['fleet_allow', 'fleet-b']);
$mark = error_log_mark();
my $peer_mark = $peer->log_mark;
redis_stop();
$t = until_all(403, 5, ['fleet_deny', 'fleet-keep'], [$peer, 'fleet-keep']);
ok($t, 'store stopped: deny refuses an unrevoked device on both servers ('
   . ($t ? join(', ', map { secs($_) } @$t) : 'still granted after 5 s') . ')');
sleep 0.3;
like(error_log_since($mark), qr/device="fleet-keep" reason=store-unavailable/,
     '...with reason store-unavailable');
is(get_status('fleet_allow', '/p/valid', cert => dev('fleet-keep')), 200,
   'store stopped: allow lets an unrevoked device in');
is(get_status('fleet_allow', '/p/valid', cert => dev('fleet-local')), 403,
   'store stopped: allow still applies the local list');
sleep 2.5;
get_status('fleet_deny', '/p/valid', cert => dev('fleet-keep')) for 1 .. 5;
is(get_status('fleet_allow', '/p/valid', cert => dev('fleet-b')), 200,
   'store stopped: allow no longer knows the store\'s revocations once its verdicts '
   . 'are older than the cache seconds (the documented trade)');
my @down = error_log_since($mark) =~ /CertAuthzRevocationStore \Q$store\E does not answer/g;
is(scalar(@down), 1, 'the outage is logged once for the whole server');
@down = $peer->log_since($peer_mark) =~ /CertAuthzRevocationStore \Q$store\E does not answer/g;
is(scalar(@down), 1, '...and once on the second server');
$st = status_json('fleet_deny');
ok(($st->{stores}[0]{state} // '') eq 'down' && defined $st->{stores}[0]{last_error}
   && ($st->{store_errors} // 0) > 0,
   'status page: down, with the error, errors counted') or diag(JSON::PP->new->encode($st));

# --- the store is back (empty: no persistence) --------------------------------
$mark = error_log_mark();
ok(redis_start(), 'redis-server runs again');
$t = until_stable(200, 25, ['fleet_deny', 'fleet-keep'], [$peer, 'fleet-keep']);
ok($t, 'store back: both servers let devices in again, no restart ('
   . ($t ? join(', ', map { secs($_) } @$t) : 'still refused after 20 s') . ')');
my @up = error_log_since($mark) =~ /CertAuthzRevocationStore \Q$store\E: answers again/g;
is(scalar(@up), 1, 'the recovery is logged once');
($rc, undef, $stderr) = certauthz('revoke', $CA, 'fleet-c', '--store', $store);
$t = until_all(403, 5, ['fleet_deny', 'fleet-c'], [$peer, 'fleet-c']);
ok($rc == 0 && $t, 'a revocation written after the recovery reaches both servers ('
   . ($t ? join(', ', map { secs($_) } @$t) : 'not within 5 s') . ')') or diag($stderr);

# --- a store that hangs --------------------------------------------------------
# It accepts connections and answers nothing (APR's Redis client, as
# mod_socache_redis sets it up, would wait without end): the loader's
# heartbeat notices, and children stop asking.
until_stable(200, 10, ['fleet_deny', 'fleet-keep']);
$mark = error_log_mark();
kill 'STOP', $redis_pid;
sleep 4;
$t0 = time;
is(get_status('fleet_deny', '/p/valid', cert => dev('fleet-keep')), 403,
   'store hanging: deny refuses');
ok(time - $t0 < 2, sprintf('...at once, without waiting on the store (%.2f s)', time - $t0));
like(error_log_since($mark), qr/does not answer: no answer within 2 s/,
     'the hang is logged as an outage');
kill 'CONT', $redis_pid;
$t = until_stable(200, 25, ['fleet_deny', 'fleet-keep']);
ok($t, 'the store answering again: let in again ('
   . ($t ? secs($t->[0]) : 'still refused after 20 s') . ')');

# --- unrevoke without a store, and the command's mistakes ---------------------
($rc, undef, $stderr) = certauthz('revoke', $CA, 'fleet-keep', '--store', 'memcache:127.0.0.1:1');
ok($rc == 2 && $stderr =~ /redis:HOST:PORT only/, 'revoke --store: a store other than redis is refused')
    or diag($stderr);
($rc, undef, $stderr) = certauthz('unrevoke', $CA, 'fleet-keep', '--store', 'redis:127.0.0.1:1');
ok($rc == 2 && $stderr =~ /cannot reach redis 127\.0\.0\.1:1/,
   'unrevoke --store: an unreachable store is one line, exit 2, nothing changed') or diag($stderr);

# --- shmcb: a store inside this server --------------------------------------
{
    my $st = {};
    my $end = time + 5;
    while (time < $end) {
        $st = status_json('fleet_shmcb');
        last if ($st->{stores}[0]{state} // '') eq 'up';
        sleep 0.2;
    }
    is($st->{stores}[0]{state} // '', 'up', 'shmcb: the loader keeps the marker there (up)')
        or diag(JSON::PP->new->encode($st));
    my @codes = map { status_of('fleet_shmcb', 'fleet-keep') } 1 .. 8;
    is("@codes", join(' ', (200) x 8), 'shmcb: a device it does not hold is let in, from any process');
    is(status_of('fleet_shmcb', 'fleet-local'), 403, 'shmcb: the local list still applies');
}

$peer->stop;
redis_stop();
