package io.cairn.operator;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * The webhook server's key, swappable while it serves: a renewed certificate is used from the
 * next TLS handshake on, without restarting the server or the operator.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private final AtomicReference<X509ExtendedKeyManager> current = new AtomicReference<>();
    private volatile X509Certificate serving;

    /** Serves {@code chain} (PEM, leaf first) with {@code key} (PEM) from now on. */
    void use(String chainPem, String keyPem) throws GeneralSecurityException {
        Certificate[] chain = Certificates.certificates(chainPem).toArray(new Certificate[0]);
        PrivateKey key = Certificates.privateKey(keyPem);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        ks.setKeyEntry("webhook", key, new char[0], chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        for (javax.net.ssl.KeyManager km : kmf.getKeyManagers()) {
            if (km instanceof X509ExtendedKeyManager x) {
                current.set(x);
                serving = (X509Certificate) chain[0];
                return;
            }
        }
        throw new GeneralSecurityException("no X.509 key manager available");
    }

    /** The certificate being served, or null before the first one. */
    X509Certificate serving() {
        return serving;
    }

    private X509KeyManager delegate() {
        X509ExtendedKeyManager d = current.get();
        if (d == null) {
            throw new IllegalStateException("the webhook has no certificate yet");
        }
        return d;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return delegate().getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return delegate().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        X509ExtendedKeyManager d = current.get();
        return d == null ? null : d.chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return delegate().getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return delegate().getPrivateKey(alias);
    }
}
