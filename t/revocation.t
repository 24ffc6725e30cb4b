# Revocation sources (INTERFACE §3) against the running server: every
# format, issuer scoping, reloads without a restart, stale CRLs, CRL
# signatures, and start-up refusal of bad files.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

plan tests => 53;

umask 022;  # the files we write are read by httpd's children (nobody)
my $rev = pki('rev');
my $reload = "$rev/reload.txt";

# Replace FILE by writing a temporary file and renaming it over, as the
# documentation says to.  AGE > 0 back-dates it (which changes nothing: the
# loader goes by what it sees, not by file times).
sub replace {
    my ($file, $text, $age) = @_;
    my $tmp = "$file.tmp.$$";
    open my $fh, '>', $tmp or die "$tmp: $!";
    print $fh $text;
    close $fh;
    if ($age) {
        my $t = time - $age;
        utime $t, $t, $tmp;
    }
    rename $tmp, $file or die "rename $tmp: $!";
}

sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; <$fh> }

# Poll until VHOST answers WANT for CERT, for at most SECS seconds.
sub wait_status {
    my ($vhost, $cert, $want, $secs) = @_;
    my $end = time + $secs;
    my $got;
    while (1) {
        $got = get_status($vhost, '/p/valid', cert => $cert);
        return $got if $got == $want || time > $end;
        sleep 0.2;
    }
}

# --- every format, and scoping ------------------------------------------
is(get_status('rev_formats', '/p/valid', cert => 'client'), 200,
   'a certificate on no list is accepted');
is(get_status('rev_formats', '/p/valid', cert => 'client2'), 200,
   'a certificate of the second CA on no list is accepted');
my $mark = error_log_mark();
is(get_status('rev_formats', '/p/valid', cert => 'rv_crl'), 403,
   'PEM CRL (openssl ca -gencrl): a revoked certificate gets 403');
sleep 0.2;
like(error_log_since($mark), qr/reason=revoked/,
     'the denial is logged with reason=revoked');
is(get_status('rev_formats', '/p/valid', cert => 'rv_ca2same'), 200,
   'scoping: the same serial from another CA is not revoked by the CRL');
is(get_status('rev_formats', '/p/valid', cert => 'rv_der'), 403,
   'DER CRL: a revoked certificate gets 403');
is(get_status('rev_formats', '/p/valid', cert => 'rv_idx'), 403,
   'openssl ca index.txt: an R line revokes');
is(get_status('rev_formats', '/p/valid', cert => 'rv_list'), 403,
   'plain list: a serial spelled 0x00:40:02 revokes 4002');
is(get_status('rev_formats', '/p/valid', cert => 'rv_fp'), 403,
   'plain list: a sha256: fingerprint revokes');
is(get_status('rev_formats', '/p/not', cert => 'rv_fp'), 200,
   'Require not cert-valid: a revoked certificate is simply not valid');
is(get_status('rev_formats', '/p/valid'), 403,
   'no certificate is still refused');

# --- the status page shows every source ---------------------------------
{
    my $st = eval { JSON::PP->new->decode(
        get_response('rev_formats', '/status')->decoded_content) } || {};
    my %src = map { (($_->{path} =~ m{([^/]+)$})[0] => $_) } @{ $st->{sources} || [] };
    is(join(' ', map { "$_=$src{$_}{format}/$src{$_}{entries}" } sort keys %src),
       'rev-ca2.der=crl-der/1 rev-crl.pem=crl-pem/1 rev-index.txt=index/1 rev-list.txt=list/2',
       'status: each source with its format and entry count');
    ok(defined $src{'rev-crl.pem'}{next_update} && !defined $src{'rev-list.txt'}{next_update}
       && $src{'rev-crl.pem'}{loaded} =~ /^\d{4}-\d\d-\d\dT/,
       'status: a CRL has a nextUpdate, a list has none; load time in ISO 8601');
    ok(!grep({ defined $_->{last_error} || $_->{stale} } values %src),
       'status: no error and nothing stale');
    $st = eval { JSON::PP->new->decode(
        get_response('rev_stale_deny', '/status')->decoded_content) } || {};
    ok(($st->{sources}[0]{stale} // 0) && $st->{sources}[0]{next_update} =~ /^2020-02-01/,
       'status: a CRL past its nextUpdate is shown stale');
}

# --- reload by rename ----------------------------------------------------
is(get_status('rev_reload', '/p/valid', cert => 'rv_reload'), 200,
   'reload: not revoked before the list names it');
# A connection kept open across the reload: its earlier verdict must not
# outlive the list it came from.
my $held = ka_connect('rev_reload', cert => 'rv_reload');
is(ka_get($held, '/p/valid'), 200,
   'reload: a kept-alive connection is let in before the list names it');
$mark = error_log_mark();
replace($reload, "# revoked\n0x4005\n");
my $t0 = time;
# The loader checks every second (CertAuthzRevocationCheckInterval 1) and
# takes a change once it has seen it unchanged for a second.
my $got = wait_status('rev_reload', 'rv_reload', 403, 5);
my $took = time - $t0;
is($got, 403, 'reload: a renamed file is used without a restart');
cmp_ok($took, '<=', 2.6,
       sprintf('reload: every process refuses within the interval and a second (%.1f s)', $took));
is(ka_get($held, '/p/valid'), 403,
   'reload: ...and the next request on the connection kept open is refused');
close $held;
sleep 0.3;
my @reloaded = error_log_since($mark) =~ /\[certauthz:notice\].*\Q$reload\E: reloaded, 1 entries \(list\)/g;
is(scalar(@reloaded), 1,
   'reload: logged once at notice with the entry count, for the whole server');
is(get_status('rev_reload', '/p/valid', cert => 'client'), 200,
   'reload: other certificates are unaffected');

# Poll the error log since MARK for RE, for at most SECS seconds.
sub wait_log {
    my ($mark, $re, $secs) = @_;
    my $end = time + $secs;
    while (1) {
        my $l = error_log_since($mark);
        return $l if $l =~ $re || time > $end;
        sleep 0.2;
    }
}

# --- garbage over a loaded file ----------------------------------------
$mark = error_log_mark();
open my $fh, '>', $reload or die $!;
print $fh "0x4005\nthis-is-not-a-serial\n";
close $fh;
my $log = wait_log($mark, qr/not a hex serial/, 5);
my @codes = map { get_status('rev_reload', '/p/valid', cert => 'rv_reload') } 1 .. 6;
is("@codes", '403 403 403 403 403 403',
   'garbage: the last good list is kept');
sleep 2.5;
get_status('rev_reload', '/p/valid', cert => 'rv_reload') for 1 .. 6;
$log = error_log_since($mark);
my @errs = $log =~ /\[certauthz:error\].*\Q$reload\E: line 2: 'this-is-not-a-serial' is not a hex serial/g;
ok(scalar(@errs) >= 1, 'garbage: the error names the file and line 2')
    or diag($log);
is(scalar(@errs), 1,
   'garbage: the error is logged once for the whole server, not per check or per process');
like($log, qr/keeping the last good list \(1 entries/,
     'garbage: the message says the last good list is kept');
{
    my $st = eval { JSON::PP->new->decode(
        get_response('rev_reload', '/status')->decoded_content) } || {};
    my $src = $st->{sources}[0] || {};
    like($src->{last_error} // '', qr/line 2/,
         'garbage: the status page shows the error');
}

# --- a file rewritten in place, slowly ---------------------------------
# A long list whose revoked serial comes last: taking the first half for
# the whole file would let rv_reload in.
my $body = join('', map { sprintf "%x\n", 0x100000 + $_ } 1 .. 3000) . "4005\n";
$mark = error_log_mark();
replace($reload, $body);
wait_log($mark, qr/reloaded, 3001 entries/, 5);
is(wait_status('rev_reload', 'rv_reload', 403, 3), 403,
   'slow rewrite: the long list is loaded');
$mark = error_log_mark();
open $fh, '>', $reload or die $!;
syswrite $fh, substr($body, 0, length($body) / 2);
my @during;
my $end = time + 1.5;
while (time < $end) {
    push @during, get_status('rev_reload', '/p/valid', cert => 'rv_reload');
    sleep 0.1;
}
syswrite $fh, substr($body, length($body) / 2);
close $fh;
ok(@during && !grep({ $_ != 403 } @during),
   'slow rewrite: a half-written file is never taken for the list (' . "@during" . ')');
wait_log($mark, qr/reloaded, 3001 entries/, 5);
is(get_status('rev_reload', '/p/valid', cert => 'rv_reload'), 403,
   'slow rewrite: the completed file is loaded and still revokes');
my @sizes = error_log_since($mark) =~ /\Q$reload\E: reloaded, (\d+) entries/g;
ok(!grep({ $_ != 3001 } @sizes),
   "slow rewrite: no shorter list was ever loaded (@sizes)");

# --- concurrent requests while the file is replaced repeatedly ----------
# A file replaced every 0.15 s is never stable for a second: nothing is
# taken while it churns, requests keep their consistent answers, and the
# last version is taken once it rests.
{
    $mark = error_log_mark();
    my @kids;
    my $stop = time + 3;
    for my $k (1 .. 3) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            my $bad = 0;
            while (time < $stop) {
                my @c = eval {
                    keepalive_statuses('rev_reload',
                        [('/p/valid') x 5], cert => ($k == 3 ? 'rv_reload' : 'client'));
                };
                my $want = $k == 3 ? 403 : 200;
                $bad++ if @c != 5 || grep { $_ != $want } @c;
            }
            # No END blocks in the child: Test::More belongs to the parent.
            POSIX::_exit($bad ? 1 : 0);
        }
        push @kids, $pid;
    }
    my $n = 0;
    while (time < $stop) {
        replace($reload, ($n++ % 2 ? "4005\n4007\n" : "0x4005\n"));
        sleep 0.15;
    }
    replace($reload, "4005\n4007\n");
    my $failed = 0;
    for (@kids) { waitpid $_, 0; $failed++ if $? }
    is($failed, 0, "concurrent: every request answered as expected during $n replacements");
    my $l = wait_log($mark, qr/reloaded, 2 entries/, 5);
    unlike($l, qr/\[certauthz:error\]|exit signal|AH00052/,
           'concurrent: no load errors and no crashed child');
    my @r = $l =~ /reloaded, (\d+) entries/g;
    is("@r", '2', 'concurrent: nothing taken while the file churned, the last version once it rested');
}

# --- stale CRLs --------------------------------------------------------
is(get_status('rev_stale_warn', '/p/valid', cert => 'client'), 200,
   'stale CRL, warn: certificates of its issuer are still accepted');
is(get_status('rev_stale_warn', '/p/valid', cert => 'rv_crl'), 403,
   'stale CRL, warn: its entries are still enforced');
$mark = error_log_mark();
is(get_status('rev_stale_deny', '/p/valid', cert => 'client'), 403,
   'stale CRL, deny: every certificate of its issuer is refused');
sleep 0.2;
like(error_log_since($mark), qr/reason=crl-stale/, 'stale CRL, deny: reason crl-stale');
is(get_status('rev_stale_deny', '/p/valid', cert => 'client2'), 200,
   'stale CRL, deny: another issuer is untouched');
$mark = error_log_mark();
is(get_status('rev_stale_deny', '/p/valid', cert => 'rv_crl'), 403,
   'stale CRL, deny: a revoked certificate is refused');
sleep 0.2;
like(error_log_since($mark), qr/reason=revoked/, 'stale CRL, deny: revoked beats crl-stale');

# --- CRL signatures ------------------------------------------------------
my $verify = "$rev/verify.pem";
is(get_status('rev_verify', '/p/valid', cert => 'rv_crl'), 403,
   'verify CA: a CRL signed by the CA is enforced');
$mark = error_log_mark();
replace($verify, slurp(pki('rev-rogue-crl.pem')));
my $vlog = wait_log($mark, qr/does not verify/, 5);
is(get_status('rev_verify', '/p/valid', cert => 'rv_crl'), 403,
   'verify CA: a CRL with a bad signature does not replace the good one');
like($vlog, qr/\[certauthz:error\].*verify\.pem.*does not verify/,
     'verify CA: the bad signature is logged as an error');
# Good files again, so that a later configuration test (a graceful restart
# in t/tamper.t) passes.
replace($verify, slurp(pki('rev-crl.pem')));

# --- start-up refusal ------------------------------------------------------
{
    my $httpd = Apache::Test::vars('httpd');
    my $root = Apache::Test::vars('t_logs') . '/revtest';
    mkdir $root; mkdir "$root/logs";
    my $modules = slurp(t_path('modules.conf'));
    my $so = Apache::Test::vars('top_dir') . '/.libs/mod_certauthz.so';
    my $configtest = sub {
        my ($lines) = @_;
        open my $c, '>', "$root/httpd.conf" or die $!;
        print $c "ServerRoot \"$root\"\nServerName localhost\nListen 127.0.0.1:1\n",
                 "PidFile logs/httpd.pid\nErrorLog logs/error_log\n",
                 $modules, "LoadModule certauthz_module \"$so\"\n", $lines;
        close $c;
        my $out = `"$httpd" -t -f "$root/httpd.conf" 2>&1`;
        return ($? >> 8, $out);
    };
    my ($rc, $out) = $configtest->("CertAuthzRevocationFile \"$root/missing.txt\"\n");
    ok($rc != 0 && $out =~ m{CertAuthzRevocationFile \Q$root\E/missing\.txt: cannot open},
       'httpd -t fails on a missing file and names it') or diag($out);
    open my $b, '>', "$root/bad.txt" or die $!;
    print $b "1001\n# comment\n0x12:zz\n";
    close $b;
    ($rc, $out) = $configtest->("CertAuthzRevocationFile \"$root/bad.txt\"\n");
    ok($rc != 0 && $out =~ m{\Q$root\E/bad\.txt: line 3: '0x12:zz' is not a hex serial},
       'httpd -t fails on a malformed file, naming file, line and token') or diag($out);
    ($rc, $out) = $configtest->(
        "CertAuthzRevocationFile \"" . pki('rev-rogue-crl.pem') . "\"\n" .
        "CertAuthzCRLVerifyCA \"" . pki('trusted.pem') . "\"\n");
    ok($rc != 0 && $out =~ /rev-rogue-crl\.pem.*does not verify/,
       'httpd -t fails on a CRL whose signature does not verify') or diag($out);
    # A good configuration: the test reads every file and writes nothing.
    mkdir "$root/run";
    ($rc, $out) = $configtest->(
        "DefaultRuntimeDir \"$root/run\"\n" .
        "CertAuthzRevocationFile \"" . pki('rev-crl.pem') . "\"\n" .
        "CertAuthzRevocationFile \"" . pki('rev-list.txt') . "\"\n");
    opendir my $d, "$root/run" or die $!;
    my @made = grep { !/^\.\.?$/ } readdir $d;
    closedir $d;
    ok($rc == 0 && !@made,
       'httpd -t of a good configuration writes nothing (' . join(' ', @made) . ')')
        or diag($out);
}

# --- the loader dies ----------------------------------------------------
# The parent starts it again; the new one numbers on from what the dead one
# published (a number reused for another list would leave every process on
# the list it holds under that number) and loads every source again.
{
    my $restart = "$rev/restart.txt";
    my $version = sub {
        my $st = eval { JSON::PP->new->decode(
            get_response('rev_restart', '/status')->decoded_content) } || {};
        return ($st->{sources}[0] || {})->{version} // -1;
    };
    my $status = sub { wait_status('rev_restart', 'rv_reload', @_) };
    replace($restart, "0x4005\n");
    is($status->(403, 5), 403, 'loader death: version 2 revokes the device');
    my $v = $version->();
    # The loader: the process holding the source table writable.
    my $logs = Apache::Test::vars('t_logs');
    my $ppid = do { open my $f, '<', "$logs/httpd.pid" or die $!; <$f> + 0 };
    my $loader;
    for my $pid (map { /(\d+)/ ? $1 : () } `ps -o pid= --ppid $ppid`) {
        open my $m, '<', "/proc/$pid/maps" or next;
        $loader = $pid if grep { /certauthz-sources/ && (split)[1] eq 'rw-s' } <$m>;
    }
    ok($loader, "loader death: the loader is found (pid " . ($loader // '?') . ", version $v)");
    $mark = error_log_mark();
    kill 'KILL', $loader if $loader;
    like(wait_log($mark, qr/CERTAUTHZ0110/, 5), qr/revocation loader \(pid $loader\) ended.*starting it again/,
         'loader death: the parent says so and starts it again');
    replace($restart, "# nothing revoked\n");
    is($status->(200, 6), 200,
       'loader death: the next change is taken by the new loader');
    my $v2 = $version->();
    ok($v2 > $v, "loader death: under a newer version number ($v2 > $v)");
}
