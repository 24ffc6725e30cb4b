# Require cert-valid: the certificate identity of INTERFACE §1.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;

plan tests => 9;

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
