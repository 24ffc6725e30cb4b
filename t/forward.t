# CertAuthzForward: a backend behind ProxyPass (an echo server reporting the
# request head it received) sees certificate headers only as this server
# wrote them: every spelling a client could use to pose as a verified
# certificate is gone, with or without a certificate, and Client-Cert
# (RFC 9440), Client-Cert-Chain and the device header are there exactly
# when the identity is established.  Over HTTP/1.1 and HTTP/2, through
# internal redirects, ErrorDocuments, subrequests and mod_dir's index.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use CertAuthzEcho;
use MIME::Base64 ();

plan tests => 53;

echo_start();
my $emark = error_log_mark();
my $log = Apache::Test::vars('t_logs') . '/forward.log';

# The RFC 9440 form of a certificate file's DER, as openssl writes it.
sub sf {
    my $file = pki(shift);
    my $der = `openssl x509 -in '$file' -outform DER`;
    die "openssl x509 $file" if $? || !length $der;
    return ':' . MIME::Base64::encode_base64($der, '') . ':';
}
my ($cc_client, $cc_ca, $cc_leaf, $cc_inter) =
    (sf('client.crt'), sf('ca.crt'), sf('fw_leaf.crt'), sf('fw_inter.crt'));

# What a client sends to pose as a verified certificate: every family, in
# any case, with '_' for '-', repeated, folded, empty.
my @spoof = (
    'X-SSL-Client-Verify: SUCCESS',
    'x-ssl-client-s-dn: CN=admin,O=MyOrg',
    'X-SSL-CLIENT-CERT: -----BEGIN CERTIFICATE-----',
    'X_SSL_Client_Verify: SUCCESS',
    'X-SSL_Client-S-DN: CN=admin',
    'X-SSL-Client-Verify: SUCCESS',
    "X-SSL-Client-Folded: GENEROUS\r\n SUCCESS",
    'X-SSL-Client-Empty:',
    'Client-Cert: :AAAA:',
    'client_cert: :AAAA:',
    'CLIENT-CERT-CHAIN: :AAAA:',
    'Client_Cert_Chain: :AAAA:',
    'X-Client-Cert: x',
    'X-Client-Verify: SUCCESS',
    'X_Client_Verified: yes',
    'X-Forwarded-Client-Cert: By=spiffe://x;Hash=00',
    'x-forwarded-tls-client-cert: x',
    'SSL-Client-Verify: SUCCESS',
    'SSL_CLIENT_S_DN: CN=admin',
    'X-Remote-User: admin',
    'x_remote_user: admin',
    'X-REMOTE-USER:',
    'X-Device: admin',
    # Asks mod_proxy to drop the headers this server sets, as hop-by-hop.
    'Connection: close, Client-Cert, X-Remote-User, client_cert_chain',
);
# Look-alikes outside the families: they reach the backend.
my @keep = ('Client-Certainly: kept', 'X-Keep: kept',
            "X-Fold-Carrier: a\r\n X-SSL-Client-Verify: SUCCESS");

sub request_head {
    my ($path, @extra) = @_;
    return join("\r\n", "GET $path HTTP/1.1", 'Host: localhost', @extra) . "\r\n\r\n";
}

sub family {
    my $n = lc shift;
    $n =~ tr/_/-/;
    return $n =~ /^(client-cert|client-cert-chain|x-remote-user|x-device)$/
        || $n =~ /^(x-ssl-client|x-client-cert|x-client-verif|x-forwarded-client-cert|x-forwarded-tls-client-cert|ssl-client-)/;
}

# The certificate headers among the fields the backend received, and the
# look-alikes kept.
sub ours { [sort { $a->[0] cmp $b->[0] } grep { family($_->[0]) } @{ $_[0] }] }
sub kept {
    my $f = shift;
    my %k = map { $_->[0] => $_->[1] } grep { !family($_->[0]) } @$f;
    return join '|', map { $k{$_} // 'missing' } qw(Client-Certainly X-Keep X-Fold-Carrier);
}
my $kept = 'kept|kept|a X-SSL-Client-Verify: SUCCESS';

# backend(VHOST, PATH, CERT) -> [response, fields the backend received]
sub backend {
    my ($vhost, $path, $cert) = @_;
    # X-Device is a device header of certauthz_fwd only.
    my @s = $vhost eq 'certauthz_fwd' ? @spoof : grep { !/^X-Device/ } @spoof;
    my $r = raw_request($vhost, request_head($path, @s, @keep),
                        $cert ? (cert => $cert) : ());
    return [$r, $r->{code} == 200 ? head_fields($r->{body}) : []];
}

sub want {
    my %w = @_;
    return [sort { $a->[0] cmp $b->[0] } map { [$_, $w{$_}] } keys %w];
}

# logged(KEY[, OFFSET]) -> the fields of the access log line of KEY (the
# URL path and query), after OFFSET.
sub logged {
    my ($key, $off) = @_;
    for (1 .. 50) {
        open my $fh, '<', $log or die "$log: $!";
        seek $fh, $off // 0, 0;
        my ($line) = grep { index($_, "$key|") == 0 } <$fh>;
        close $fh;
        if (defined $line) { chomp $line; return [split /\|/, $line] }
        select undef, undef, undef, 0.1;
    }
    return [];
}

my $b;

# ---- Every spoofing variant, with and without an identity ---------------
$b = backend('certauthz_fwd', '/fwd/on/x?id=none');
is($b->[0]{code}, 200, 'no certificate: the request reaches the backend');
is_deeply(ours($b->[1]), [], '...with none of the certificate headers the client sent (every case, _ for -, repeated, folded, empty)');
is(kept($b->[1]), $kept, '...and the look-alikes outside the families as sent');

$b = backend('certauthz_fwd', '/fwd/on/x?id=client', 'client');
is_deeply(ours($b->[1]), want('Client-Cert' => $cc_client, 'X-Remote-User' => 'client1'),
          'verified certificate: exactly Client-Cert (the DER openssl writes) and the device header, once each');
is(kept($b->[1]), $kept, '...the look-alikes untouched');
is(scalar(grep { lc $_->[0] eq 'connection' && $_->[1] =~ /client|remote/i } @{ $b->[1] }), 0,
   '...and Connection listed them to no effect');
is(logged('/fwd/on/x?id=client')->[3], 'client1', '...the device header equals %{device}Z');

$b = backend('certauthz_fwd_noca', '/fwd/on/x', 'roguecl');
is($b->[0]{code}, 200, 'unverified certificate (optional_no_ca): the request reaches the backend');
is_deeply(ours($b->[1]), [], '...with no certificate header at all');

$b = backend('certauthz_fwd', '/fwd/on/x?id=revoked', 'id_revoked');
is($b->[0]{code}, 200, 'revoked certificate: the request reaches the backend (Require all granted)');
is_deeply(ours($b->[1]), [], '...with no certificate header at all');
is(logged('/fwd/on/x?id=revoked')->[3], 'id-revoked', '...although the log names the device');

$b = backend('certauthz_fwd', '/fwd/guarded/x', 'id_revoked');
is($b->[0]{code}, 403, 'Require cert-valid refuses the revoked device before the backend');
$b = backend('certauthz_fwd', '/fwd/guarded/x', 'client');
is_deeply(ours($b->[1]), want('Client-Cert' => $cc_client, 'X-Remote-User' => 'client1'),
          '...and forwards the verified one');

$b = backend('certauthz_fwd', '/fwd/legacy/x', 'client');
is_deeply(ours($b->[1]), want('Client-Cert' => $cc_client, 'X-Remote-User' => 'client1',
                              'X-SSL-Client-S-DN' => 'CN=client1,OU=Devices,O=MyOrg,C=US'),
          'RequestHeader set X-SSL-Client-S-DN from mod_ssl: the administrator\'s value, once, not the client\'s');

# ---- Chain, Off, another device source ---------------------------------
$b = backend('certauthz_fwd', '/fwd/chain/x', 'client');
is_deeply(ours($b->[1]), want('Client-Cert' => $cc_client, 'Client-Cert-Chain' => $cc_ca,
                              'X-Remote-User' => 'client1'),
          'Chain: Client-Cert-Chain is the CA (the trust anchor)');
$b = backend('certauthz_fwd', '/fwd/chain/x', 'fw_leaf-chain');
is_deeply(ours($b->[1]), want('Client-Cert' => $cc_leaf, 'Client-Cert-Chain' => "$cc_inter, $cc_ca",
                              'X-Remote-User' => 'fw-leaf'),
          'Chain: a device under an intermediate the client sent: intermediate, then anchor');
$b = backend('certauthz_fwd_noca', '/fwd/on/x', 'client');
is_deeply(ours($b->[1]), want('Client-Cert' => $cc_client, 'Client-Cert-Chain' => $cc_ca,
                              'X-Remote-User' => 'client1'),
          'optional_no_ca with a certificate that does verify: forwarded');
$b = backend('certauthz_fwd', '/fwd/off/x', 'client');
is($b->[0]{code}, 200, 'CertAuthzForward Off: the request reaches the backend');
is_deeply(ours($b->[1]), [], '...with nothing set, and what the client sent still removed');
$b = backend('certauthz_fwd', '/fwd/serial/x?id=serial', 'client');
is_deeply(ours($b->[1]), want('Client-Cert' => $cc_client, 'X-Device' => '1001'),
          'CertAuthzDeviceId serial + CertAuthzForwardDeviceHeader X-Device: the serial there, X-Remote-User removed');
is(logged('/fwd/serial/x?id=serial')->[3], '1001', '...equal to %{device}Z');

# ---- Device ids a header carries raw, or cannot carry --------------------
$b = backend('certauthz_fwd', '/fwd/on/x', 'utf8cl');
my %f = map { $_->[0] => $_->[1] } @{ $b->[1] };
is($f{'X-Remote-User'}, "Zo\xc3\xab \xce\xa9 \xf0\x9f\x94\x91",
   'a UTF-8 device id arrives raw (not the escaped log text)');
for my $c (qw(newlinecl nulcl)) {
    $b = backend('certauthz_fwd', "/fwd/on/x?id=$c", $c);
    is($b->[0]{code}, 403, "a device id with a control character ($c): refused, never sent");
}
like(error_log_since($emark), qr/CERTAUTHZ0301: CertAuthzForwardDeviceHeader X-Remote-User: the device id "nul\\+x00cr/,
     '...and the error log says why');

# ---- Internal redirects, ErrorDocument, subrequests, mod_dir -------------
$b = backend('certauthz_fwd', '/fwd/rw-on/x', 'client');
like($b->[0]{body}, qr{^GET /off/from-rw-on }, 'mod_rewrite from a forwarding location to an Off one reaches the backend');
is_deeply(ours($b->[1]), [], '...without the values set for the location before');
$b = backend('certauthz_fwd', '/fwd/rw-off/x', 'client');
like($b->[0]{body}, qr{^GET /chain/from-rw-off }, 'mod_rewrite from an Off location to a Chain one');
is_deeply(ours($b->[1]), want('Client-Cert' => $cc_client, 'Client-Cert-Chain' => $cc_ca,
                              'X-Remote-User' => 'client1'),
          '...gets the values of the location it ends in');

my $off = -s $log;
# (The access log shows the refused request's path without its query.)
my $r = raw_request('certauthz_fwd', request_head('/fwd/deny/x', @spoof), cert => 'client');
is(logged('/fwd/deny/x', $off)->[4], 'denied', 'a refused request whose ErrorDocument the backend serves');
like($r->{body}, qr{^GET /chain/error-document }, '...the body is the backend\'s');
is_deeply(ours(head_fields($r->{body})), want('Client-Cert' => $cc_client, 'Client-Cert-Chain' => $cc_ca,
                                             'X-Remote-User' => 'client1'),
          '...which got the ErrorDocument location\'s values, and none the client sent');
$r = raw_request('certauthz_fwd', request_head('/fwd/deny/x', @spoof));
is_deeply(ours(head_fields($r->{body})), [], '...without a certificate: none at all');

for my $case (['/fwd-ssi-off/chain.shtml', '/chain/included', 'from an Off page',
               want('Client-Cert' => $cc_client, 'Client-Cert-Chain' => $cc_ca, 'X-Remote-User' => 'client1')],
              ['/fwd-ssi-on/off.shtml', '/off/included', 'from a forwarding page into an Off location', []]) {
    my ($page, $sub, $what, $want) = @$case;
    $r = raw_request('certauthz_fwd', request_head($page, @spoof), cert => 'client');
    (my $head = $r->{body}) =~ s/\n\z//;
    like($head, qr{^GET \Q$sub\E }, "SSI subrequest $what reaches the backend");
    is_deeply(ours(head_fields($head)), $want, '...with the values of its own location');
}

$b = backend('certauthz_fwd', '/fwd-dir/', 'client');
like($b->[0]{body}, qr{^GET /\S*index\.echo }, "mod_dir's index handled by the backend");
is_deeply(ours($b->[1]), want('Client-Cert' => $cc_client, 'Client-Cert-Chain' => $cc_ca,
                              'X-Remote-User' => 'client1'),
          '...with the values of the index file\'s configuration (Chain), not the directory\'s (Off)');

# ---- A resumed TLS session: OpenSSL verified nothing, the chain is rebuilt
my $port = port('certauthz_fwd');
my $sess = Apache::Test::vars('t_logs') . "/fwd-sess-$$.pem";
# s_client(CERT, SESS_OPTION) -> [whether the session was reused, body]
sub s_client {
    my ($cert, @sess) = @_;
    my $in = Apache::Test::vars('t_logs') . "/fwd-req-$$.txt";
    open my $fh, '>', $in or die "$in: $!";
    print $fh "GET /fwd/chain/resumed HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    close $fh;
    my $crt = pki("$cert.crt");
    my $out = `openssl s_client -connect 127.0.0.1:$port -servername localhost -CAfile '${\ pki('ca.crt')}' -cert '$crt' -cert_chain '$crt' -key '${\ pki("$cert.key")}' -ign_eof @sess < '$in' 2>/dev/null`;
    unlink $in;
    # The response, wherever s_client's own output puts it.
    my ($len, $rest) = $out =~ m{HTTP/1\.1 \d+[^\r\n]*\r\n(?:[^\r\n]+\r\n)*?Content-Length: (\d+)\r\n(?:[^\r\n]+\r\n)*\r\n(.*)}s;
    return [scalar($out =~ /^Reused,/m), defined $len ? substr($rest, 0, $len) : ''];
}
for my $case (['client', "$cc_ca", 'a root-issued device'],
              ['fw_leaf-chain', undef, 'a device whose intermediate the server does not hold']) {
    my ($cert, $chain, $what) = @$case;
    unlink $sess;
    my $first = s_client($cert, '-sess_out', $sess);
    my $again = s_client($cert, '-sess_in', $sess);
    my $leaf = $cert eq 'client' ? $cc_client : $cc_leaf;
    my $user = $cert eq 'client' ? 'client1' : 'fw-leaf';
    SKIP: {
        skip 'the server did not resume the TLS session', 2 unless $again->[0];
        is_deeply(ours(head_fields($again->[1])),
                  want('Client-Cert' => $leaf, 'X-Remote-User' => $user,
                       defined $chain ? ('Client-Cert-Chain' => $chain) : ()),
                  "resumed TLS session, $what: Client-Cert, and "
                  . (defined $chain ? 'the chain rebuilt from the trust store' : 'no chain (it cannot be known)'));
        is_deeply(ours(head_fields($first->[1])),
                  want('Client-Cert' => $leaf, 'X-Remote-User' => $user,
                       'Client-Cert-Chain' => $cert eq 'client' ? $cc_ca : "$cc_inter, $cc_ca"),
                  '...while the full handshake had the verified chain');
    }
}
unlink $sess;
like(error_log_since($emark), qr/CERTAUTHZ0303: CertAuthzForward Chain: the verified chain/,
     'the chain that cannot be known is named in the error log');

# ---- HTTP/2: many streams on one connection ------------------------------
SKIP: {
    my $curl = `sh -c 'command -v curl'`;
    chomp $curl;
    skip 'mod_http2 does not run under prefork', 6
        if ($ENV{CERTAUTHZ_MPM} || '') eq 'prefork';
    skip 'curl is not installed', 6 unless $curl;
    my $dir = Apache::Test::vars('t_logs') . "/fwd-h2-$$";
    mkdir $dir;
    my $base = 'https://localhost:' . port('certauthz_fwd');
    # h2(CERT, LOCATION) -> [[http_version, status, fields]...], 40 streams
    my $h2 = sub {
        my ($cert, $loc) = @_;
        my $cfg = "$dir/curl.cfg";
        open my $fh, '>', $cfg or die "$cfg: $!";
        print $fh qq{url = "$base$loc$_"\noutput = "$dir/$_"\n} for 1 .. 40;
        close $fh;
        # curl sends "Name;" as an empty header ("Name:" would remove it).
        my @h = map { (my $x = $_) =~ s/:\z/;/; ('-H', $x) }
            grep { !/^Connection|\r\n/ } @spoof, @keep;
        my @cmd = ($curl, '-s', '--no-progress-meter', '--http2', '--parallel', '--parallel-max', '40',
                   '--cacert', pki('ca.crt'), '-K', $cfg, @h,
                   '-w', '%{http_version} %{http_code}\n');
        push @cmd, '--cert', pki("$cert.crt"), '--key', pki("$cert.key") if $cert;
        open my $out, '-|', @cmd or die "curl: $!";
        my @st = map { chomp; [split / /] } <$out>;
        close $out;
        my @r;
        for my $i (1 .. 40) {
            open my $b, '<', "$dir/$i" or next;
            my $body = do { local $/; <$b> };
            close $b;
            push @r, [@{ $st[$i - 1] || ['?', '?'] }, head_fields($body)];
        }
        return \@r;
    };
    my $r2 = $h2->('client', '/fwd/chain/h2-');
    is(scalar(grep { $_->[0] eq '2' && $_->[1] == 200 } @$r2), 40, 'HTTP/2: 40 parallel streams answered over HTTP/2');
    my $w = want('Client-Cert' => $cc_client, 'Client-Cert-Chain' => $cc_ca, 'X-Remote-User' => 'client1');
    my @bad = grep { !eq_deeply(ours($_->[2]), $w) } @$r2;
    ok(!@bad, 'HTTP/2: every stream got exactly Client-Cert, Client-Cert-Chain and the device header');
    @bad = grep { kept($_->[2]) ne 'kept|kept|missing' } @$r2;
    ok(!@bad, 'HTTP/2: ...and the look-alikes');
    $r2 = $h2->(undef, '/fwd/on/h2-none-');
    @bad = grep { @{ ours($_->[2]) } } @$r2;
    ok(@$r2 == 40 && !@bad, 'HTTP/2 without a certificate: no stream carries a certificate header');
    $r2 = $h2->('id_revoked', '/fwd/on/h2-rev-');
    @bad = grep { @{ ours($_->[2]) } } @$r2;
    ok(@$r2 == 40 && !@bad, 'HTTP/2 with a revoked certificate: none either');
    my $l = logged('/fwd/chain/h2-1');
    is("$l->[2] $l->[3]", 'HTTP/2.0 client1', 'HTTP/2: the device header equals %{device}Z');
    unlink glob("$dir/*");
    rmdir $dir;
}

sub eq_deeply {
    my ($x, $y) = @_;
    return join("\n", map { "@$_" } @$x) eq join("\n", map { "@$_" } @$y);
}

my $err = error_log_since($emark);
like($err, qr/CERTAUTHZ0300: removed client-sent certificate header\(s\): [^\n]*X_SSL_Client_Verify/,
     'the removal of client-sent headers is logged at info');
unlike($err, qr/exit signal|AddressSanitizer|runtime error/,
       'no child crashed and no sanitizer report in the error log');
