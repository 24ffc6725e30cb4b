# HTTP/2 as browsers use it: many parallel streams on one TLS connection,
# each stream a secondary connection that may run on its own thread, with
# every log field in use.  Each stream must be judged exactly as the same
# request over HTTP/1.1, and no child may crash (a configuration like this
# one killed children before the identity became one snapshot per TLS
# connection).  mod_http2 does not run under prefork: skipped there.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;

my $curl = `sh -c 'command -v curl'`;
chomp $curl;
plan skip_all => 'curl is not installed' unless $curl;
plan skip_all => 'mod_http2 does not run under prefork'
    if ($ENV{CERTAUTHZ_MPM} || '') eq 'prefork';
plan tests => 38;

my $base = 'https://localhost:' . port('certauthz_h2');
my @paths = map { "/h/$_" } qw(valid o ou cn-re issuer serial fp san-email
    san-dns san-uri not-guest any all none open user dev-serial guests);
my @certs = (undef, qw(client client2 id_revoked id_crl id_other));
my $log = Apache::Test::vars('t_logs') . '/h2.log';
my $err_off = error_log_mark();

# curl(HTTP, CERT, URL-PATHS, PARALLEL) -> [[path, status, version, connects]]
sub curl {
    my ($http, $cert, $list, $parallel) = @_;
    my $cfg = Apache::Test::vars('t_logs') . "/curl-$$.cfg";
    open my $fh, '>', $cfg or die "$cfg: $!";
    print $fh qq{url = "$base$_"\noutput = "/dev/null"\n} for @$list;
    close $fh;
    my @cmd = ($curl, '-s', '--no-progress-meter', $http, '--cacert', pki('ca.crt'), '-K', $cfg,
               '-w', '%{url_effective} %{http_code} %{http_version} %{num_connects}\n');
    push @cmd, '--parallel', '--parallel-max', '100' if $parallel;
    push @cmd, '--cert', pki("$cert.crt"), '--key', pki("$cert.key") if $cert;
    open my $out, '-|', @cmd or die "curl: $!";
    my @r = map { chomp; my @f = split / /; $f[0] =~ s{^\Q$base\E}{}; \@f } <$out>;
    close $out;
    unlink $cfg;
    return \@r;
}

my %h1;
for my $cert (@certs) {
    my $name = $cert // 'none';
    my $r = curl('--http1.1', $cert, \@paths, 0);
    $h1{$name}{ $_->[0] } = $_->[1] for @$r;
}

# The expectations that make the comparison mean something.
my %want = (
    'none'       => {'/h/valid' => 403, '/h/open' => 200, '/h/none' => 200, '/h/user' => 403},
    'client'     => {'/h/valid' => 200, '/h/guests' => 403, '/h/user' => 200,
                     '/h/not-guest' => 200, '/h/serial' => 200, '/h/fp' => 403},
    'client2'    => {'/h/valid' => 200, '/h/o' => 403, '/h/user' => 403, '/h/issuer' => 403},
    'id_revoked' => {'/h/valid' => 403, '/h/open' => 200, '/h/serial' => 403},
    'id_crl'     => {'/h/valid' => 403, '/h/all' => 403},
    'id_other'   => {'/h/guests' => 200, '/h/not-guest' => 403, '/h/any' => 200,
                     '/h/none' => 403, '/h/user' => 200, '/h/san-uri' => 200},
);
for my $name (sort keys %want) {
    my @bad = grep { ($h1{$name}{$_} // 0) != $want{$name}{$_} } sort keys %{ $want{$name} };
    ok(!@bad, "HTTP/1.1 reference, $name: " . join(' ', map { "$_=$want{$name}{$_}" } sort keys %{ $want{$name} })
       . (@bad ? ' (got ' . join(' ', map { "$_=" . ($h1{$name}{$_} // 'none') } @bad) . ')' : ''));
}

# Per certificate: every path ten times, as parallel streams of one
# connection.
for my $cert (@certs) {
    my $name = $cert // 'none';
    my $off = -s $log || 0;
    my @list = map { @paths } 1 .. 10;
    my $r = curl('--http2', $cert, \@list, 1);
    is(scalar(@$r), scalar(@list), "HTTP/2, $name: every stream answered");
    is(scalar(grep { $_->[2] ne '2' } @$r), 0, "HTTP/2, $name: every response was HTTP/2");
    my $connects = 0;
    $connects += $_->[3] for @$r;
    is($connects, 1, "HTTP/2, $name: one TLS connection for " . scalar(@list) . ' streams');
    my @diff = grep { $_->[1] != ($h1{$name}{ $_->[0] } // -1) } @$r;
    ok(!@diff, "HTTP/2, $name: each stream judged as the same request over HTTP/1.1"
       . (@diff ? " ($diff[0][0]: $diff[0][1] vs " . ($h1{$name}{ $diff[0][0] } // '?') . ')' : ''));

    # The log lines of these streams.
    my @lines;
    for (1 .. 50) {
        open my $l, '<', $log or die "$log: $!";
        seek $l, $off, 0;
        @lines = grep { (split /\|/)[2] eq 'HTTP/2.0' } <$l>;
        close $l;
        last if @lines >= @list;
        select undef, undef, undef, 0.1;
    }
    my @f = map { chomp; [split /\|/, $_, 20] } @lines;
    my @bad = grep {
        my ($path, $status, $held, $user, $device, $serial, $decision, $note)
            = @$_[0, 1, 3, 4, 5, 8, 15, 18];
        # /h/user has no cert-* line: CertAuthzUser and Require user.
        $held ne $serial
            || ($path eq '/h/user' && $status == 200 && $user ne $device)
            || ($path ne '/h/user' && $status == 403 && $decision ne 'denied')
            || ($status == 200 && $decision !~ /^(granted|-)$/)
            || $note ne $device
    } @f;
    ok(@f == @list && !@bad,
       "HTTP/2, $name: every log line whole, on the certificate mod_ssl holds, decision matching the status"
       . (@bad ? ' (bad: ' . join('|', @{ $bad[0] }) . ')' : '') . (@f != @list ? ' (' . scalar(@f) . ' lines)' : ''));
}

# Several connections at once, every certificate, hundreds of streams each:
# streams of one connection on several threads, connections side by side.
my @pids;
for my $cert (@certs) {
    my $name = $cert // 'none';
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my @list = map { @paths } 1 .. 30;
        my $r = curl('--http2', $cert, \@list, 1);
        my @diff = grep { $_->[1] != ($h1{$name}{ $_->[0] } // -1) } @$r;
        exit(@$r == @list && !@diff ? 0 : 1);
    }
    push @pids, $pid;
}
my $fails = 0;
for (@pids) { waitpid $_, 0; $fails++ if $? }
is($fails, 0, 'six connections at once, 540 streams each: every stream judged as over HTTP/1.1');

my $err = error_log_since($err_off);
unlike($err, qr/exit signal|AddressSanitizer|runtime error/,
       'no child crashed and no sanitizer report in the error log');
