# Require cert-valid: the certificate identity of INTERFACE §1.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;

plan tests => 12;

is(get_status('certauthz', '/p/valid'), 403,
         'no client certificate: 403');
is(get_status('certauthz', '/p/valid', cert => 'client'), 200,
         'a certificate from the trusted CA: 200');
is(get_status('certauthz', '/p/valid', cert => 'client2'), 200,
         'a certificate from the second trusted CA: 200');
is(get_status('certauthz', '/p/open'), 200,
         'Require all granted is untouched by the module');
is(get_status('certauthz_noca', '/p/valid', cert => 'roguecl'), 403,
         'optional_no_ca: an untrusted certificate with the same names is refused');
is(get_status('certauthz_noca', '/p/valid', cert => 'client'), 200,
         'optional_no_ca: a trusted certificate is still accepted');

my @codes = keepalive_statuses('certauthz',
    [qw(/p/valid /p/valid /p/open /p/valid)], cert => 'client');
is("@codes", '200 200 200 200',
         'several requests on one keep-alive connection keep the identity');
@codes = keepalive_statuses('certauthz', [qw(/p/valid /p/open /p/valid)]);
is("@codes", '403 200 403',
         'several requests without a certificate on one connection are refused');

my $mark = error_log_mark();
get_status('certauthz', '/p/valid');
select undef, undef, undef, 0.2;
like(error_log_since($mark), qr/reason=no-cert.*uri=\/p\/valid/,
   'a denial is logged at info with its reason');

# HTTP/2: requests run on secondary connections of one TLS connection.
SKIP: {
    my $curl = `sh -c 'command -v curl'`;
    chomp $curl;
    skip 'curl is not installed', 3 unless $curl;
    skip 'mod_http2 does not run under prefork', 3
        if ($ENV{CERTAUTHZ_MPM} || '') eq 'prefork';
    my $url = 'https://localhost:' . port('certauthz');
    my $h2 = sub {
        my ($cert, @paths) = @_;
        my @cmd = ($curl, '-s', '--http2', '-w', '%{http_version} %{http_code}\n',
                   '--cacert', pki('ca.crt'));
        push @cmd, '--cert', pki("$cert.crt"), '--key', pki("$cert.key") if $cert;
        push @cmd, '-o', '/dev/null', "$url$_" for @paths;
        open my $fh, '-|', @cmd or die "curl: $!";
        local $/;
        my $out = <$fh>;
        close $fh;
        return $out;
    };
    is($h2->('client', qw(/p/valid /p/valid /p/open)), "2 200\n2 200\n2 200\n",
       'HTTP/2: three streams on one connection with a certificate: 200');
    is($h2->(undef, qw(/p/valid /p/open)), "2 403\n2 200\n",
       'HTTP/2 without a certificate: 403');
    is($h2->('client2', qw(/p/valid)), "2 200\n",
       'HTTP/2 with a certificate of the second CA: 200');
}
