# Device identity, logs, environment and status page (INTERFACE §4), against
# the real server: the access-log lines are parsed by JSON::PP, and the
# values are checked against what openssl and mod_ssl say of the same
# certificate.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use Encode qw(decode);
use File::Temp qw(tempdir);
use IO::Socket::SSL ();
use JSON::PP ();
use POSIX qw(floor);
use Time::Local qw(timegm);

plan tests => 178;
binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my $JSON = JSON::PP->new->utf8;
my $T_LOGS = Apache::Test::vars('t_logs');
my $JSON_LOG = "$T_LOGS/certauthz_json.log";
my $FIELDS_LOG = "$T_LOGS/certauthz_fields.log";
my @FIELDS = qw(device subject issuer serial fingerprint not_before not_after
                days_left san verify decision reason rule);

sub log_size { -s $_[0] || 0 }

# The lines appended to FILE since OFFSET, once at least N are there
# (mod_log_config writes after the response has been sent).
sub lines_since {
    my ($file, $off, $n) = @_;
    my @lines;
    for (1 .. 100) {
        if (open my $fh, '<:raw', $file) {
            seek $fh, $off, 0;
            local $/;
            my $t = <$fh>;
            @lines = split /\n/, (defined $t ? $t : ''), -1;
            pop @lines if @lines && $lines[-1] eq '';
            return @lines if @lines >= $n;
        }
        select undef, undef, undef, 0.05;
    }
    return @lines;
}

# One request; returns its response and the new lines of both logs.
sub logged {
    my ($vhost, $path, %o) = @_;
    # httpd logs a request after its response has left, so the previous
    # request's lines can still be on their way (the more so on a loaded
    # machine, as in the ASan pass of make test): take the offsets once
    # both logs have stopped growing.
    my ($jo, $fo) = (-1, -1);
    for (1 .. 30) {
        my ($j, $f) = (log_size($JSON_LOG), log_size($FIELDS_LOG));
        last if $j == $jo && $f == $fo;
        ($jo, $fo) = ($j, $f);
        select undef, undef, undef, 0.1;
    }
    my $res = get_response($vhost, $path, %o);
    my @j = lines_since($JSON_LOG, $jo, 1);
    my @f = lines_since($FIELDS_LOG, $fo, 1);
    # Give a split line the time to show up as a second line.
    select undef, undef, undef, 0.1;
    @j = lines_since($JSON_LOG, $jo, 1);
    @f = lines_since($FIELDS_LOG, $fo, 1);
    my $obj = eval { $JSON->decode($j[0] // '') };
    my %f;
    @f{('uri', 'status', 'user', @FIELDS, 'note', 'bogus')} =
        split /\|/, ($f[0] // ''), -1;
    return { res => $res, json_lines => \@j, field_lines => \@f,
             json => $obj, json_error => $@, fields => \%f };
}

# What openssl says of a certificate of the test PKI (UTF-8 decoded).
sub openssl_facts {
    my $crt = pki(shift . '.crt');
    my $out = `openssl x509 -in '$crt' -noout -subject -issuer -nameopt RFC2253,-esc_msb -serial -fingerprint -sha256 -dates`;
    my %f;
    for my $line (split /\n/, $out) {
        my ($k, $v) = $line =~ /^([^=]+)=(.*)$/ or next;
        $f{$k} = $v;
    }
    my %mon = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5,
               Jul => 6, Aug => 7, Sep => 8, Oct => 9, Nov => 10, Dec => 11);
    my $epoch = sub {
        my ($m, $d, $H, $M, $S, $y) =
            $_[0] =~ /^(\w+)\s+(\d+) (\d+):(\d+):(\d+) (\d+) GMT$/ or return;
        return timegm($S, $M, $H, $d, $mon{$m}, $y);
    };
    my $iso = sub {
        my @t = gmtime $_[0];
        return sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900,
            $t[4] + 1, @t[3, 2, 1, 0];
    };
    my $na = $epoch->($f{notAfter});
    (my $fp = lc($f{'sha256 Fingerprint'} // '')) =~ s/://g;
    return {
        subject => decode('UTF-8', $f{subject} // ''),
        issuer => decode('UTF-8', $f{issuer} // ''),
        serial => $f{serial},
        fingerprint => $fp,
        not_before => $iso->($epoch->($f{notBefore})),
        not_after => $iso->($na),
        not_after_epoch => $na,
    };
}

# The NAME=value lines of an SSI or CGI page.
sub page_vars {
    my %v;
    for (split /\n/, shift) {
        $v{$1} = $2 if /^(\w+)=(.*)$/;
    }
    return \%v;
}

sub env_page {
    my ($vhost, $path, %o) = @_;
    my $res = get_response($vhost, $path, %o);
    return ($res->code, page_vars($res->decoded_content // ''));
}

# ------------------------------------------------------------------
# A granted request: every field, checked against openssl and mod_ssl.

my $ossl = openssl_facts('client');
my $l = logged('certauthz_log', '/p/valid', cert => 'client');
is($l->{res}->code, 200, 'client on cert-valid: 200');
is(scalar @{ $l->{json_lines} }, 1, 'one request, one JSON log line');
ok($l->{json}, 'the JSON line parses with JSON::PP') or diag($l->{json_error});
my $j = $l->{json} || {};
is_deeply([sort keys %$j], [sort @FIELDS], 'the object has exactly the documented keys');
is($j->{device}, 'client1', 'device: subject CN by default');
is($j->{subject}, $ossl->{subject}, "subject as openssl's RFC 2253: $ossl->{subject}");
is($j->{issuer}, $ossl->{issuer}, 'issuer as openssl prints it');
is($j->{serial}, $ossl->{serial}, 'serial as openssl prints it (upper-case hex)');
is($j->{fingerprint}, $ossl->{fingerprint}, 'fingerprint: lower-case SHA-256, no colons');
is($j->{not_before}, $ossl->{not_before}, 'not_before in ISO 8601 UTC');
is($j->{not_after}, $ossl->{not_after}, 'not_after in ISO 8601 UTC');
my $days = floor(($ossl->{not_after_epoch} - time) / 86400);
ok(defined $j->{days_left} && !ref $j->{days_left}
       && $l->{json_lines}[0] =~ /"days_left": -?\d+[,}]/,
   'days_left is a JSON number');
ok(defined $j->{days_left} && abs($j->{days_left} - $days) <= 1
       && $j->{days_left} == int($j->{days_left}),
   "days_left is whole days until notAfter ($days)");
is_deeply($j->{san}, ['email:client1@example.com'], 'san is an array of TYPE:value');
is($j->{verify}, 'SUCCESS', 'verify SUCCESS');
is($j->{decision}, 'granted', 'decision granted');
is($j->{reason}, 'ok', 'reason ok');
is($j->{rule}, 'cert-valid', 'rule: the Require line that decided');

my $f = $l->{fields};
is(scalar @{ $l->{field_lines} }, 1, 'one request, one line of named fields');
is($f->{device}, 'client1', '%{device}Z');
is($f->{subject}, $ossl->{subject}, '%{subject}Z');
is($f->{serial}, '1001', '%{serial}Z');
is($f->{fingerprint}, $ossl->{fingerprint}, '%{fingerprint}Z');
is($f->{not_after}, $ossl->{not_after}, '%{not_after}Z');
is($f->{days_left}, $j->{days_left}, '%{days_left}Z');
is($f->{san}, 'email:client1@example.com', '%{san}Z');
is($f->{decision}, 'granted', '%{decision}Z');
is($f->{reason}, 'ok', '%{reason}Z');
is($f->{rule}, 'cert-valid', '%{rule}Z');
is($f->{note}, 'ok', 'the request note certauthz-reason');
is($f->{user}, '-', 'no CertAuthzUser: %u stays -');
is($f->{bogus}, '-', 'an unknown %{NAME}Z logs -');

# ------------------------------------------------------------------
# Each reason.

$l = logged('certauthz_log', '/p/valid');
$j = $l->{json} || {};
is($l->{res}->code, 403, 'no certificate: 403');
is($j->{decision}, 'denied', 'no certificate: decision denied');
is($j->{reason}, 'no-cert', 'no certificate: reason no-cert');
is($j->{rule}, 'cert-valid', 'no certificate: rule');
is($j->{verify}, 'NONE', 'no certificate: verify NONE');
ok(exists $j->{device} && !defined $j->{device} && !defined $j->{subject}
       && !defined $j->{san} && !defined $j->{days_left},
   'no certificate: certificate fields are null');
is($l->{fields}{device}, '-', 'no certificate: %{device}Z is -');
is($l->{fields}{reason}, 'no-cert', 'no certificate: %{reason}Z');

my $mark = error_log_mark();
$l = logged('certauthz_log_noca', '/p/valid', cert => 'roguecl');
$j = $l->{json} || {};
is($l->{res}->code, 403, 'untrusted certificate (optional_no_ca): 403');
is($j->{reason}, 'unverified', 'untrusted certificate: reason unverified');
is($j->{decision}, 'denied', 'untrusted certificate: decision denied');
ok(defined $j->{verify} && $j->{verify} ne 'SUCCESS' && $j->{verify} ne 'NONE',
   "untrusted certificate: verify shows mod_ssl's result ($j->{verify})");
ok(!defined $j->{device} && !defined $j->{subject} && !defined $j->{serial}
       && !defined $j->{fingerprint} && !defined $j->{san},
   'untrusted certificate: none of its self-declared fields is shown');
is($l->{fields}{user}, '-', 'untrusted certificate: no user even with CertAuthzUser On');
select undef, undef, undef, 0.1;
like(error_log_since($mark),
     qr/denied: device="-" reason=unverified rule="cert-valid" uri=\/p\/valid/,
     'the denial is in the error log with device, reason, rule and URI');

$l = logged('certauthz_log', '/p/open', cert => 'client');
$j = $l->{json} || {};
is($l->{res}->code, 200, 'no cert-* provider: 200');
ok(exists $j->{decision} && !defined $j->{decision} && !defined $j->{reason}
       && !defined $j->{rule},
   'no cert-* provider: decision, reason and rule are null');
is($j->{device}, 'client1', 'no cert-* provider: the device is still logged');
is(join('|', @{ $l->{fields} }{qw(decision reason rule)}), '-|-|-',
   'no cert-* provider: %{decision}Z %{reason}Z %{rule}Z are -');

# ------------------------------------------------------------------
# Hostile names: one valid JSON line each, values as the certificate says.

my %hostile = (
    quotecl => 'x", "decision": "granted',
    newlinecl => qq(x"}\n{"device": "admin", "decision": "granted", "reason": "ok"}),
    bslashcl => 'back\\slash\\"q',
    utf8cl => decode('UTF-8', 'Zoë Ω 🔑'),
    nulcl => "nul\0cr\r\n\x7f\e[31mEND",
);
for my $c (sort keys %hostile) {
    my $o = openssl_facts($c);
    my $h = logged('certauthz_log', '/p/valid', cert => $c);
    my $hj = $h->{json} || {};
    is($h->{res}->code, 200, "$c: 200");
    is(scalar @{ $h->{json_lines} }, 1, "$c: exactly one JSON line");
    ok($h->{json}, "$c: the line is valid JSON") or diag($h->{json_lines}[0]);
    is($hj->{device}, $hostile{$c}, "$c: device is the CN, byte for byte");
    is($hj->{subject}, $o->{subject}, "$c: subject as openssl's RFC 2253");
    is($hj->{decision}, 'granted', "$c: decision is the server's, not the CN's");
    is(scalar @{ $h->{field_lines} }, 1, "$c: exactly one line of named fields");
    unlike($h->{field_lines}[0] // '', qr/[\x00-\x1f\x7f]/,
           "$c: no control character in the named fields");
}
{
    my $h = logged('certauthz_log', '/p/valid', cert => 'nulcl');
    is_deeply(($h->{json} || {})->{san}, ["uri:http://x/a\n\"b\"}\\{\"x\":11}"],
              'a SAN holding a newline and quotes stays one array element');
    like($h->{fields}{device}, qr/^nul\\x00cr\\r\\n\\x7f\\x1b\[31mEND$/,
         '%{device}Z escapes NUL, CR, LF, DEL and ESC as mod_log_config does');
    like($h->{fields}{san}, qr/^uri:http:\/\/x\/a\\n\\"b\\"}\\\\\{\\"x\\":11}$/,
         '%{san}Z escapes newline, quotes and backslash');
}
{
    my $h = logged('certauthz_log', '/p/valid', cert => 'utf8cl');
    is($h->{fields}{device}, 'Zo\xc3\xab \xce\xa9 \xf0\x9f\x94\x91',
       '%{device}Z writes non-ASCII as \\xhh, as mod_log_config does');
}

# subject and issuer are the RFC 4514 strings OpenSSL (and so mod_ssl)
# makes, whichever way the module read the names: plain names are read
# directly from the DER, the others through OpenSSL.
for my $c (qw(client rules-evil rules-multi rules-tprint rules-tutf8 rules-tbmp
              quotecl newlinecl bslashcl utf8cl devcl rules-long rv_list)) {
    my $o = openssl_facts($c);
    my $h = logged('certauthz_log', '/p/valid', cert => $c);
    my $got = $h->{json} || {};
    ok(defined $got->{subject} && $got->{subject} eq $o->{subject}
           && defined $got->{issuer} && $got->{issuer} eq $o->{issuer},
       "$c: subject and issuer as OpenSSL writes them ($o->{subject})")
        or diag("got subject " . ($got->{subject} // 'undef'));
}

# ------------------------------------------------------------------
# Environment variables: SSI and CGI, beside mod_ssl's own.

my ($code, $v) = env_page('certauthz_log', '/env/valid', cert => 'client');
is($code, 200, 'SSI page with a certificate: 200');
is($v->{DEVICE}, 'client1', 'CERTAUTHZ_DEVICE');
is($v->{SUBJECT}, $v->{SSL_CLIENT_S_DN}, "CERTAUTHZ_SUBJECT is mod_ssl's SSL_CLIENT_S_DN");
is($v->{ISSUER}, $v->{SSL_CLIENT_I_DN}, "CERTAUTHZ_ISSUER is mod_ssl's SSL_CLIENT_I_DN");
is($v->{SERIAL}, $v->{SSL_CLIENT_M_SERIAL}, "CERTAUTHZ_SERIAL is mod_ssl's SSL_CLIENT_M_SERIAL");
is($v->{VERIFY}, $v->{SSL_CLIENT_VERIFY}, "CERTAUTHZ_VERIFY is mod_ssl's SSL_CLIENT_VERIFY");
is($v->{FINGERPRINT}, $ossl->{fingerprint}, 'CERTAUTHZ_FINGERPRINT');
is($v->{NOT_AFTER}, $ossl->{not_after}, 'CERTAUTHZ_NOT_AFTER');
is($v->{SAN}, 'email:client1@example.com', 'CERTAUTHZ_SAN');
is(join('|', @$v{qw(DECISION REASON RULE)}), 'granted|ok|cert-valid',
   'CERTAUTHZ_DECISION, _REASON, _RULE');
is($v->{REMOTE_USER}, '(unset)', 'CertAuthzUser Off: no REMOTE_USER');

($code, $v) = env_page('certauthz_log', '/env/noexport', cert => 'client');
is($v->{DEVICE}, '(unset)', 'CertAuthzExportVars Off: no CERTAUTHZ_* variables');

($code, $v) = env_page('certauthz_log', '/env/open', cert => 'client');
is(join('|', @$v{qw(DEVICE DECISION REASON)}), 'client1|-|-',
   'no cert-* provider: the device is exported, the decision is -');

($code, $v) = env_page('certauthz_log', '/env/user', cert => 'client');
is($v->{REMOTE_USER}, 'client1', 'CertAuthzUser On: REMOTE_USER is the device id');

($code, $v) = env_page('certauthz_log', '/env/valid', cert => 'utf8cl');
is(decode('UTF-8', $v->{DEVICE}), $hostile{utf8cl},
   'CERTAUTHZ_DEVICE keeps valid UTF-8 readable');
($code, $v) = env_page('certauthz_log', '/env/valid', cert => 'nulcl');
is($v->{DEVICE}, 'nul\x00cr\r\n\x7f\x1b[31mEND',
   'CERTAUTHZ_DEVICE escapes control characters');

my $cgi = get_response('certauthz_log', '/cgi/env.cgi', cert => 'client');
is($cgi->code, 200, 'CGI with a certificate: 200');
$v = page_vars($cgi->decoded_content // '');
is($v->{CERTAUTHZ_DEVICE}, 'client1', 'CGI sees CERTAUTHZ_DEVICE');
is($v->{CERTAUTHZ_DECISION}, 'granted', 'CGI sees CERTAUTHZ_DECISION');
is($v->{CERTAUTHZ_SERIAL}, '1001', 'CGI sees CERTAUTHZ_SERIAL');
is($v->{REMOTE_USER}, 'client1', 'CGI sees REMOTE_USER from CertAuthzUser');

# The ErrorDocument of a refusal names the reason.
my $res = get_response('certauthz_log', '/p/valid');
is($res->code, 403, 'refusal with an ErrorDocument: still 403');
like($res->decoded_content // '', qr/^REASON=no-cert$/m,
     'the 403 ErrorDocument sees CERTAUTHZ_REASON=no-cert');
like($res->decoded_content // '', qr/^REDIRECT_REASON=no-cert$/m,
     '...and REDIRECT_CERTAUTHZ_REASON as httpd renames it');
like($res->decoded_content // '', qr/^DEVICE=-$/m,
     '...and CERTAUTHZ_DEVICE - without a certificate');
$res = get_response('certauthz_log_noca', '/p/valid', cert => 'roguecl');
like($res->decoded_content // '', qr/^REASON=unverified$/m,
     'the 403 ErrorDocument sees CERTAUTHZ_REASON=unverified');

$res = get_response('certauthz_log', '/p/shipped');
is($res->code, 403, "conf/error-403.shtml as ErrorDocument: 403");
like($res->decoded_content // '', qr/your browser sent none.*Reason: no-cert/s,
     'conf/error-403.shtml explains the no-cert refusal and names the reason');

is(get_status('certauthz_log', '/p/expr', cert => 'client'), 200,
   'Require expr after cert-valid reads CERTAUTHZ_DEVICE (client1: 200)');
is(get_status('certauthz_log', '/p/expr', cert => 'client2'), 403,
   '...and refuses another device (client2: 403)');
$res = get_response('certauthz_log', '/p/hdr');
is($res->code, 403, 'refusal without ErrorDocument: 403');
is($res->header('X-Certauthz-Reason'), 'no-cert',
   'mod_headers "always" sees CERTAUTHZ_REASON on the error response');
is($res->header('X-Certauthz-Device'), '-',
   '...and CERTAUTHZ_DEVICE - without a certificate');
$res = get_response('certauthz_log', '/p/hdr', cert => 'client');
is($res->header('X-Certauthz-Reason'), 'ok',
   'mod_headers sees CERTAUTHZ_REASON=ok on a granted request');

# ------------------------------------------------------------------
# CertAuthzUser and %u.

$l = logged('certauthz_log', '/p/user', cert => 'client');
is($l->{fields}{user}, 'client1', 'CertAuthzUser On: %u is the device id');
$l = logged('certauthz_log', '/p/user-refused', cert => 'client');
is($l->{res}->code, 403, 'refused by another provider: 403');
is($l->{fields}{user}, 'client1', 'CertAuthzUser On: %u shows the device on a 403 too');
is(join('|', map { $l->{json}{$_} // 'null' } qw(decision reason rule)),
   'denied|null|null',
   '...logged as denied (what happened to the request), with no cert-* reason: cert-valid granted');
$l = logged('certauthz_log', '/p/all-nomatch', cert => 'client');
is($l->{res}->code, 403, 'RequireAll with a non-matching cert-subject: 403');
is(join('|', map { $l->{json}{$_} } qw(decision reason rule)),
   'denied|no-match|cert-subject O=NoSuchOrg',
   '...logged as denied, no-match, by the cert-subject line (not by the cert-valid that granted)');
$l = logged('certauthz_log', '/p/any-match', cert => 'client');
is($l->{res}->code, 200, 'RequireAny where cert-valid matches: 200');
is(join('|', map { $l->{json}{$_} } qw(decision reason rule)),
   'granted|ok|cert-valid',
   '...logged as granted, ok, by the cert-valid line that let it in');
$l = logged('certauthz_log', '/p/user');
is($l->{fields}{user}, '-', 'CertAuthzUser On without a certificate: %u stays -');

# ------------------------------------------------------------------
# CertAuthzDeviceId, each source.

my $dev = openssl_facts('devcl');
my %sources = (
    '/env/dev/cn' => 'first',
    '/env/dev/o' => 'MyOrg',
    '/env/dev/ou-oid' => 'Devices',
    '/env/dev/title' => '-',
    '/env/dev/email' => 'dev@example.com',
    '/env/dev/dns' => 'dev.example.com',
    '/env/dev/uri' => 'spiffe://example.org/dev/1',
    '/env/dev/serial' => $dev->{serial},
    '/env/dev/fingerprint' => $dev->{fingerprint},
);
for my $path (sort keys %sources) {
    ($code, $v) = env_page('certauthz_log', $path, cert => 'devcl');
    is($v->{DEVICE}, $sources{$path}, "CertAuthzDeviceId at $path: $sources{$path}");
}
is($dev->{serial}, 'ABCDEF', 'the devcl serial has its top bit set (openssl prints ABCDEF)');
$l = logged('certauthz_log', '/env/dev/uri', cert => 'devcl');
is($l->{json}{device}, 'spiffe://example.org/dev/1',
   'the JSON log uses the device id source of the location');
is_deeply($l->{json}{san}, ['dns:dev.example.com', 'uri:spiffe://example.org/dev/1',
                            'email:dev@example.com', 'dns:second.example.com'],
          'every SAN, in certificate order');

# ------------------------------------------------------------------
# The status page.

# GETs on one TLS connection (so one server process); returns the bodies.
sub keepalive_bodies {
    my ($paths, %o) = @_;
    my %ssl = (PeerHost => '127.0.0.1', PeerPort => port('certauthz_log'),
               SSL_ca_file => pki('ca.crt'), SSL_hostname => 'localhost',
               SSL_verifycn_name => 'localhost', SSL_verifycn_scheme => 'http',
               Timeout => 15);
    if ($o{cert}) {
        $ssl{SSL_cert_file} = pki("$o{cert}.crt");
        $ssl{SSL_key_file} = pki("$o{cert}.key");
    }
    my $s = IO::Socket::SSL->new(%ssl) or die "connect: $IO::Socket::SSL::SSL_ERROR";
    my @out;
    for my $path (@$paths) {
        print $s "GET $path HTTP/1.1\r\nHost: localhost\r\n\r\n";
        my $status = <$s> // die "closed before $path";
        my ($code) = $status =~ m{^HTTP/1\.\d (\d+)};
        my ($len, $chunked, $type) = (0, 0, '');
        while (defined(my $h = <$s>)) {
            last if $h eq "\r\n";
            $len = $1 if $h =~ /^Content-Length:\s*(\d+)/i;
            $chunked = 1 if $h =~ /^Transfer-Encoding:\s*chunked/i;
            $type = $1 if $h =~ /^Content-Type:\s*([^\r\n]+)/i;
        }
        my $body = '';
        if ($chunked) {
            while (1) {
                my $size = <$s> // '0';
                $size =~ s/[;\r\n].*//s;
                my $n = hex $size;
                if (!$n) { <$s>; last }
                read($s, my $buf, $n + 2);
                $body .= substr($buf, 0, $n);
            }
        }
        elsif ($len) {
            read($s, $body, $len);
        }
        push @out, { code => $code, body => $body, type => $type };
    }
    close $s;
    return @out;
}

my @r = keepalive_bodies([qw(/status /p/valid /p/valid /p/open /status)]);
my ($s1, $s2) = map { eval { $JSON->decode($_->{body}) } } @r[0, 4];
is($r[0]{code}, 200, 'status page: 200');
like($r[0]{type}, qr{^application/json}, 'status page: application/json');
ok($s1 && $s2, 'status page: valid JSON') or diag($r[0]{body});
$s1 ||= {};
$s2 ||= {};
is(ref $s1->{sources}, 'ARRAY', 'status page: sources is an array');
is_deeply([sort keys %{ $s1->{decisions} || {} }],
          [sort qw(ok no-cert unverified no-match crl-stale store-unavailable revoked)],
          'status page: a counter for every reason');
my @src_ok = grep {
    my $x = $_;
    !grep { !exists $x->{$_} } qw(path format entries loaded mtime next_update stale last_error)
} @{ $s1->{sources} || [] };
is(scalar @src_ok, scalar @{ $s1->{sources} || [] },
   'status page: every source has path, format, entries, loaded, mtime, next_update, stale, last_error');
is(($s2->{decisions}{'no-cert'} // 0) - ($s1->{decisions}{'no-cert'} // 0), 2,
   'status page: two refusals without a certificate count two no-cert');
is(($s2->{decisions}{ok} // 0) - ($s1->{decisions}{ok} // 0), 0,
   'status page: ...and no grant');

@r = keepalive_bodies([qw(/status /p/valid /env/valid /status)], cert => 'client');
($s1, $s2) = map { eval { $JSON->decode($_->{body}) } || {} } @r[0, 3];
is(($s2->{decisions}{ok} // 0) - ($s1->{decisions}{ok} // 0), 2,
   'status page: two grants count two ok');
is(($s2->{decisions}{'no-cert'} // 0) - ($s1->{decisions}{'no-cert'} // 0), 0,
   'status page: ...and no refusal');

# ------------------------------------------------------------------
# Configuration time.

my $httpd = Apache::Test::vars('httpd');
my $modules = do { local (@ARGV, $/) = (t_path('modules.conf')); <> };
my ($mpm) = $modules =~ /^(LoadModule mpm_\S+ \S+)$/m;
my ($authz) = $modules =~ /^(LoadModule authz_core_module \S+)$/m;
my $so = Apache::Test::vars('top_dir') . '/.libs/mod_certauthz.so';
my $dir = tempdir(CLEANUP => 1);
sub configtest {
    my $body = shift;
    open my $fh, '>', "$dir/httpd.conf" or die $!;
    print $fh "ServerRoot $dir\nServerName localhost\nListen 127.0.0.1:9\n",
        "PidFile $dir/pid\nErrorLog $dir/error_log\n$mpm\n$authz\n",
        "LoadModule certauthz_module $so\n", $body;
    close $fh;
    my $out = `'$httpd' -t -f '$dir/httpd.conf' 2>&1`;
    return ($? >> 8, $out);
}
my ($rc, $out) = configtest("CertAuthzDeviceId serial\nCertAuthzUser On\n"
                            . "CertAuthzExportVars On\n");
# Debian builds mod_log_config into httpd, so a server without it cannot be
# made here; the optional-function lookup is what keeps that case loading.
is($rc, 0, 'the module loads and configures in a minimal server') or diag($out);
($rc, $out) = configtest("<Location />\n  CertAuthzDeviceId san:ip\n</Location>\n");
isnt($rc, 0, 'CertAuthzDeviceId san:ip fails configtest');
like($out, qr/line 10 of .*httpd\.conf.*CertAuthzDeviceId 'san:ip'.*'ip'/s,
     "...naming the file, the line and the token: $out");
($rc, $out) = configtest("CertAuthzDeviceId subject:NoSuchAttr\n");
like($out, qr/'NoSuchAttr'/, "an unknown attribute is named: $out");
($rc, $out) = configtest("CertAuthzDeviceId cn\n");
like($out, qr/'cn'.*subject:ATTR/, "an unknown source is named with the choices: $out");
